"""Creates an account on a running Keyhaven Account service and signs devices in, printing one
access token per line: the sessions schemathesis runs with (tests/api/conformance.sh)."""

import hashlib
import json
import sys
import urllib.request

base, outbox, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
PASSWORD = "conformance password 1"
PHONE = "+447700900123"


def call(method, path, body=None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def device(name):
    digest = lambda text: hashlib.sha256(text.encode()).hexdigest()
    return {"name": name, "platform": "linux", "machine_hash": digest(name), "machine_user_hash": digest(name + "/user")}


def last_code():
    with open(outbox) as lines:
        return json.loads(lines.read().splitlines()[-1])["code"]


version = call("GET", "/v1/statement")["version"]
challenge = call("POST", "/v1/accounts", {
    "email": "conformance@example.com", "password": PASSWORD, "phone": PHONE,
    "accepted_statement_version": version, "device": device("device 0"),
})
grant = call("POST", f"/v1/challenges/{challenge['challenge_id']}/verify", {"code": last_code()})
print(grant["tokens"]["access_token"])
for n in range(1, count):
    outcome = call("POST", "/v1/sessions", {"email": "conformance@example.com", "password": PASSWORD, "device": device(f"device {n}")})
    if outcome["status"] == "sms_required":
        outcome = call("POST", f"/v1/challenges/{outcome['challenge_id']}/verify", {"code": last_code()})
    print(outcome["tokens"]["access_token"])
