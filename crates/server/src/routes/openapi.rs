//! The OpenAPI document made exact: errors as `application/problem+json`, every status a route
//! can answer, and the service's validation rules ([`keyhaven_protocol::limits`], the same
//! constants the checks in [`crate::validate`] and the routes use) as schema constraints.
//! `make test` holds the service to it with schemathesis (`tests/api/conformance.sh`).

use keyhaven_protocol::limits::{self, base64url_len};
use serde_json::{json, Map, Value};

use super::vault::{
    KDF_MAX_ITERATIONS, KDF_MAX_MEMORY_KIB, KDF_MAX_PARALLELISM, KDF_MIN_ITERATIONS,
    KDF_MIN_MEMORY_KIB, KEY_CHECK_BYTES, MAX_BLOB_BYTES, MAX_KEY_BYTES, MAX_PUSH_ITEMS,
    MAX_STATE_BYTES,
};

/// The document utoipa built from the routes, completed.
pub fn exact(document: utoipa::openapi::OpenApi) -> Value {
    let mut document = serde_json::to_value(document).unwrap_or_else(|_| json!({}));
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        constrain(schemas);
        flatten(schemas);
        if let Some(push) = schemas
            .get_mut("PushChanges")
            .and_then(Value::as_object_mut)
        {
            // A push with a sealed state names the revision it is based on.
            push.insert(
                "if".into(),
                json!({"properties": {"state": {"type": "string"}}, "required": ["state"]}),
            );
            push.insert(
                "then".into(),
                json!({"properties": {"base_revision": {"type": "integer"}}, "required": ["base_revision"]}),
            );
        }
    }
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in paths.values_mut().filter_map(Value::as_object_mut) {
            for (method, operation) in operation.iter_mut() {
                if matches!(method.as_str(), "get" | "post" | "put" | "delete" | "patch") {
                    complete_operation(operation);
                }
            }
        }
    }
    document
}

fn problem_response(description: &str, retry_after: bool) -> Value {
    let mut response = json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    });
    if retry_after {
        response["headers"] = json!({
            "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer", "minimum": 0}}
        });
    }
    response
}

/// Errors as problem documents, and the statuses every route of its kind can answer.
fn complete_operation(operation: &mut Value) {
    let has_body = operation.get("requestBody").is_some();
    let has_parameters = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty());
    let secured = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    for parameter in operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let name = parameter.get("name").and_then(Value::as_str);
        if matches!(name, Some("challenge_id" | "method_id")) {
            // What the service issues: base64url of 16 bytes; anything else is not found.
            parameter["schema"] = json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{22}$"});
        }
    }
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for response in responses.values_mut() {
        // A server-sent event is {event, id, data}; its data is the JSON the schema describes.
        if let Some(stream) = response.pointer_mut("/content/text~1event-stream") {
            if let Some(data) = stream.get("schema").cloned() {
                stream["schema"] = json!({
                    "type": "object",
                    "properties": {
                        "event": {"type": "string", "const": "revision"},
                        "id": {"type": "string"},
                        "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": data},
                    },
                    "required": ["event", "data"],
                });
            }
        }
    }
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            let retry_after = status == "429" || status == "503";
            let description = response
                .get("description")
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty())
                .unwrap_or("A problem document with a stable code.")
                .to_owned();
            *response = problem_response(&description, retry_after);
        }
    }
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| problem_response(description, status == "503"));
    };
    if has_body || has_parameters {
        add(
            "400",
            "The request is malformed or breaks a rule of its schema.",
        );
    }
    if secured {
        add("401", "No access token, or one that is unknown or expired.");
    }
    if has_body {
        add(
            "413",
            "The request body is larger than the service accepts.",
        );
        add("415", "The request body is not application/json.");
    }
    add("500", "The service failed; nothing was changed.");
    add("503", "The service is at capacity (password hashing, database connections); retry after Retry-After.");
}

/// Merges `allOf: [{$ref}, {object}]` (what a `#[serde(flatten)]` field becomes) into one object
/// with the referenced properties: the referenced schema refuses unknown properties, so the
/// composition as utoipa writes it would accept no object at all.
fn flatten(schemas: &mut Map<String, Value>) {
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        let Some(parts) = schemas[&name]
            .get("allOf")
            .and_then(Value::as_array)
            .cloned()
        else {
            continue;
        };
        let mut properties = Map::new();
        let mut required: Vec<Value> = Vec::new();
        for part in &parts {
            let part = match part.get("$ref").and_then(Value::as_str) {
                Some(reference) => {
                    let target = reference.trim_start_matches("#/components/schemas/");
                    schemas.get(target).cloned().unwrap_or_default()
                }
                None => part.clone(),
            };
            if let Some(more) = part.get("properties").and_then(Value::as_object) {
                properties.extend(more.clone());
            }
            if let Some(more) = part.get("required").and_then(Value::as_array) {
                required.extend(more.iter().cloned());
            }
        }
        let description = schemas[&name].get("description").cloned();
        let mut merged = json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        });
        if let Some(description) = description {
            merged["description"] = description;
        }
        schemas.insert(name, merged);
    }
}

/// A string property's rule.
fn text(pattern: &str, min: usize, max: usize) -> Value {
    json!({"pattern": pattern, "minLength": min, "maxLength": max})
}

/// Base64url bytes of `min..=max` bytes.
fn bytes(min: usize, max: usize) -> Value {
    json!({
        "type": "string",
        "pattern": limits::BASE64URL_PATTERN,
        "minLength": base64url_len(min),
        "maxLength": base64url_len(max),
        "contentEncoding": "base64url",
    })
}

fn range(min: i64, max: i64) -> Value {
    json!({"minimum": min, "maximum": max})
}

/// The rule of every request field, by schema and property.
fn rules() -> Vec<(&'static str, &'static str, Value)> {
    let secret = limits::secret_pattern();
    let plain = limits::text_pattern();
    let password = text(&secret, 1, limits::PASSWORD_MAX_CHARS);
    let new_password = text(
        &secret,
        limits::PASSWORD_MIN_CHARS,
        limits::PASSWORD_MAX_CHARS,
    );
    let token = text(&secret, 1, limits::TOKEN_MAX_CHARS);
    let email = text(&limits::email_pattern(), 1, limits::EMAIL_MAX_CHARS);
    let phone = text(limits::PHONE_PATTERN, 1, limits::PHONE_MAX_CHARS);
    let hash = json!({"pattern": limits::SHA256_HEX_PATTERN, "minLength": 64, "maxLength": 64});
    let revision = json!({"minimum": 0});
    vec![
        ("CreateAccount", "email", email.clone()),
        ("CreateAccount", "password", new_password.clone()),
        ("CreateAccount", "phone", phone.clone()),
        (
            "CreateAccount",
            "replaces_challenge_id",
            text(&secret, 1, 64),
        ),
        (
            "DeviceInfo",
            "name",
            text(&limits::name_pattern(), 1, limits::DEVICE_NAME_MAX_CHARS),
        ),
        (
            "DeviceInfo",
            "platform",
            text(&plain, 1, limits::PLATFORM_MAX_CHARS),
        ),
        ("DeviceInfo", "machine_hash", hash.clone()),
        ("DeviceInfo", "machine_user_hash", hash.clone()),
        ("SignIn", "email", email),
        ("SignIn", "password", password.clone()),
        (
            "VerifyCode",
            "code",
            text(&secret, 0, limits::SMS_CODE_MAX_CHARS),
        ),
        ("Refresh", "refresh_token", token.clone()),
        ("ChangePassword", "current_password", password.clone()),
        ("ChangePassword", "new_password", new_password.clone()),
        ("ChangePhone", "password", password.clone()),
        ("ChangePhone", "phone", phone.clone()),
        ("SetTwoStep", "password", password.clone()),
        ("DeleteAccount", "password", password.clone()),
        ("AddPassword", "new_password", new_password.clone()),
        (
            "LinkProvider",
            "client_id",
            text(&plain, 1, limits::CLIENT_ID_MAX_CHARS),
        ),
        ("LinkProvider", "code", token.clone()),
        ("LinkProvider", "code_verifier", token.clone()),
        (
            "LinkProvider",
            "redirect_uri",
            text(&plain, 1, limits::REDIRECT_URI_MAX_CHARS),
        ),
        (
            "RedeemSocialCode",
            "client_id",
            text(&plain, 1, limits::CLIENT_ID_MAX_CHARS),
        ),
        ("RedeemSocialCode", "code", token.clone()),
        ("RedeemSocialCode", "code_verifier", token.clone()),
        (
            "RedeemSocialCode",
            "redirect_uri",
            text(&plain, 1, limits::REDIRECT_URI_MAX_CHARS),
        ),
        ("RedeemSocialCode", "phone", phone),
        ("RedeemSocialCode", "password", password),
        ("SuiteSignIn", "suite_token", token.clone()),
        ("SuiteCheck", "suite_token", token),
        ("SuiteCheck", "machine_hash", hash),
        (
            "KdfParams",
            "memory_kib",
            range(KDF_MIN_MEMORY_KIB.into(), KDF_MAX_MEMORY_KIB.into()),
        ),
        (
            "KdfParams",
            "iterations",
            range(KDF_MIN_ITERATIONS.into(), KDF_MAX_ITERATIONS.into()),
        ),
        (
            "KdfParams",
            "parallelism",
            range(1, KDF_MAX_PARALLELISM.into()),
        ),
        ("KeyMaterial", "wrapped_vault_key", bytes(1, MAX_KEY_BYTES)),
        ("KeyMaterial", "salt", bytes(8, MAX_KEY_BYTES)),
        (
            "KeyMaterial",
            "key_check",
            bytes(KEY_CHECK_BYTES, KEY_CHECK_BYTES),
        ),
        ("CreateVault", "state", bytes(1, MAX_STATE_BYTES)),
        ("ReplaceKeyMaterial", "state", bytes(1, MAX_STATE_BYTES)),
        ("ReplaceKeyMaterial", "base_revision", revision.clone()),
        ("ItemVersion", "counter", json!({"minimum": 1})),
        ("ItemChange", "base_revision", revision.clone()),
        ("ItemChange", "blob", bytes(0, MAX_BLOB_BYTES)),
        ("PushChanges", "base_revision", revision),
        ("PushChanges", "state", bytes(1, MAX_STATE_BYTES)),
        (
            "PushChanges",
            "changes",
            json!({"minItems": 1, "maxItems": MAX_PUSH_ITEMS}),
        ),
    ]
}

/// Writes the rules into the component schemas (into the object part of a flattened one).
fn constrain(schemas: &mut Map<String, Value>) {
    for (schema, property, rule) in rules() {
        let Some(target) = schemas
            .get_mut(schema)
            .and_then(|s| property_of(s, property))
        else {
            tracing::error!(
                schema,
                property,
                "the OpenAPI document has no such property to constrain"
            );
            continue;
        };
        let nullable = is_nullable(target);
        let Some(rule) = rule.as_object() else {
            continue;
        };
        if rule.contains_key("contentEncoding") {
            // Bytes: the base64url string itself, not a reference to the generic Bytes schema.
            let mut inline = rule.clone();
            if nullable {
                inline.insert("type".into(), json!(["string", "null"]));
            }
            *target = Value::Object(inline);
        } else if let Some(target) = target.as_object_mut() {
            target.extend(rule.clone());
        }
    }
    if let Some(bytes) = schemas.get_mut("Bytes").and_then(Value::as_object_mut) {
        bytes.remove("format");
        bytes.insert("pattern".into(), json!(limits::BASE64URL_PATTERN));
        bytes.insert("contentEncoding".into(), json!("base64url"));
    }
}

fn property_of<'a>(schema: &'a mut Value, property: &str) -> Option<&'a mut Value> {
    if schema.pointer(&format!("/properties/{property}")).is_some() {
        return schema.pointer_mut(&format!("/properties/{property}"));
    }
    schema
        .get_mut("allOf")?
        .as_array_mut()?
        .iter_mut()
        .find_map(|part| part.get_mut("properties")?.get_mut(property))
}

fn is_nullable(schema: &Value) -> bool {
    let typed_null = schema
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t == "null"));
    let one_of_null = ["oneOf", "anyOf"].iter().any(|key| {
        schema
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(|parts| parts.iter().any(|p| p.get("type") == Some(&json!("null"))))
    });
    typed_null || one_of_null
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        exact(super::super::api().1)
    }

    #[test]
    fn every_rule_finds_its_property() {
        let document = document();
        for (schema, property, rule) in rules() {
            let found = document
                .pointer(&format!(
                    "/components/schemas/{schema}/properties/{property}"
                ))
                .or_else(|| {
                    document
                        .pointer(&format!("/components/schemas/{schema}/allOf"))?
                        .as_array()?
                        .iter()
                        .find_map(|part| part.pointer(&format!("/properties/{property}")))
                })
                .unwrap_or_else(|| panic!("{schema}.{property} is missing"));
            for (key, value) in rule.as_object().unwrap() {
                if key != "type" {
                    assert_eq!(found.get(key), Some(value), "{schema}.{property}.{key}");
                }
            }
        }
    }

    #[test]
    fn every_string_a_request_sends_has_a_length_cap() {
        let document = document();
        let schemas = document
            .pointer("/components/schemas")
            .unwrap()
            .as_object()
            .unwrap();
        let requests = [
            "CreateAccount",
            "DeviceInfo",
            "SignIn",
            "VerifyCode",
            "Refresh",
            "ChangePassword",
            "ChangePhone",
            "SetTwoStep",
            "DeleteAccount",
            "AddPassword",
            "LinkProvider",
            "RedeemSocialCode",
            "SuiteSignIn",
            "SuiteCheck",
            "KeyMaterial",
            "CreateVault",
            "ReplaceKeyMaterial",
            "ItemChange",
            "PushChanges",
        ];
        for name in requests {
            let schema = &schemas[name];
            let mut properties: Vec<(&String, &Value)> = schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.iter().collect())
                .unwrap_or_default();
            for part in schema
                .get("allOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                properties.extend(
                    part.get("properties")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten(),
                );
            }
            for (property, value) in properties {
                let is_string = value.get("type") == Some(&json!("string"))
                    || value
                        .get("type")
                        .and_then(Value::as_array)
                        .is_some_and(|t| t.contains(&json!("string")));
                if is_string && value.get("format") != Some(&json!("uuid")) {
                    assert!(
                        value.get("maxLength").is_some(),
                        "{name}.{property} has no maxLength: {value}"
                    );
                }
            }
        }
    }

    #[test]
    fn errors_are_problem_documents_and_operation_ids_are_unique() {
        let document = document();
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let id = operation["operationId"].as_str().unwrap();
                assert!(ids.insert(id.to_owned()), "operationId {id} twice");
                for (status, response) in operation["responses"].as_object().unwrap() {
                    if status.as_str() >= "400" {
                        assert!(
                            response
                                .pointer("/content/application~1problem+json")
                                .is_some()
                                && response.pointer("/content/application~1json").is_none(),
                            "{method} {path} {status}"
                        );
                    }
                }
                assert!(operation["responses"].get("500").is_some());
                if operation.get("security").is_some() {
                    assert!(
                        operation["responses"].get("401").is_some(),
                        "{method} {path}"
                    );
                }
            }
        }
    }
}
