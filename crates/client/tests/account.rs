//! The account steps of `keyhaven_client::account`, as every program goes through them, against
//! the real service on loopback and the real Secret Service (run inside
//! `scripts/with-keyring.sh`, as `make test` does).

use keyhaven_client::account::{
    AccountFlow, CodePurpose, ConnectRequest, DataDir, LinkState, LocalVault, NoOpenVault, Outcome,
    PasswordSignIn, Pending, Program, SignUp, Step, VaultStep,
};
use keyhaven_client::session::Session;
use keyhaven_client::ClientError;
use keyhaven_protocol::error::ErrorCode;
use keyhaven_vault::crypto::KdfParams;
use keyhaven_vault::item::{ItemContent, ItemDraft, SecureNote};
use keyhaven_vault::Vault;
use tempfile::TempDir;

use keyhaven_testkit::service::{last_code, service, Service, PASSWORD};

const MASTER: &str = "correct horse battery staple";
const EMAIL: &str = "grace@example.com";

fn require_keyring() {
    assert!(
        std::env::var_os("KEYHAVEN_TEST_KEYRING").is_some(),
        "these tests need a Secret Service: run them through scripts/with-keyring.sh"
    );
}

/// One computer: a data dir and the account steps of one program there.
struct Computer {
    _dir: TempDir,
    flow: AccountFlow,
}

impl Computer {
    fn new(service: &Service, program: Program) -> Self {
        let dir = TempDir::new().unwrap();
        let files = DataDir::for_vault(dir.path().join("vault.sqlite"));
        Self {
            flow: AccountFlow::new(files, program, service.base.clone()),
            _dir: dir,
        }
    }

    /// Connects with the plan's master password (a fast KDF), returning the unlocked vault.
    async fn connect(&self, session: &Session, local_master: Option<&str>) -> Vault {
        let request = ConnectRequest {
            master_password: MASTER,
            share_with_other_os_user: false,
            kdf: KdfParams::MINIMUM,
            local: local_master.map(LocalVault::MasterPassword),
        };
        self.flow
            .connect_vault(session, request, || {})
            .await
            .unwrap()
            .vault
    }
}

impl Computer {
    /// Signs in as [`EMAIL`] with `password`: what the service answered.
    async fn password_sign_in(&self, pending: &mut Option<Pending>, password: &str) -> Outcome {
        self.flow
            .sign_in(
                pending,
                PasswordSignIn {
                    email: EMAIL.into(),
                    password,
                    accepted_statement_version: None,
                    share_with_apps: false,
                },
            )
            .await
            .unwrap()
    }

    /// Signs in as [`EMAIL`] with the account password and the SMS code from the outbox.
    async fn sign_in_with_code(&self, service: &Service) -> Session {
        let mut pending = None;
        self.password_sign_in(&mut pending, PASSWORD).await;
        signed_in(
            self.flow
                .verify(&mut pending, &last_code(service))
                .await
                .unwrap(),
        )
    }
}

fn signed_in(outcome: Outcome) -> Session {
    match outcome {
        Outcome::SignedIn(signed_in) => signed_in.session,
        other => panic!("expected a session, got {other:?}"),
    }
}

fn note(title: &str) -> ItemDraft {
    ItemDraft {
        title: title.into(),
        content: ItemContent::SecureNote(SecureNote {
            notes: "text".into(),
            ..SecureNote::default()
        }),
        favourite: false,
        folder: None,
        tags: vec![],
    }
}

/// Signs up as [`EMAIL`] through the steps, the code kept between "runs" as the CLI keeps it.
async fn sign_up(service: &Service, computer: &Computer) -> Session {
    let statement = computer.flow.statement().await.unwrap();
    let mut pending = None;
    let step = computer
        .flow
        .sign_up(
            &mut pending,
            SignUp {
                email: EMAIL.into(),
                password: PASSWORD,
                phone: "+44 7700-900123".into(),
                accepted_statement_version: statement.version,
            },
        )
        .await
        .unwrap();
    assert!(
        matches!(&step, Step::EnterCode { code_sent } if code_sent.phone_hint == "+…23"),
        "{step:?}"
    );
    let kept = serde_json::to_vec(&pending).unwrap();
    let mut pending: Option<Pending> = serde_json::from_slice(&kept).unwrap();
    assert!(matches!(&pending, Some(Pending::Code(code)) if code.purpose == CodePurpose::SignUp));
    // Typed with a space and a line break, as pasted from an SMS.
    let code = last_code(service);
    let typed = format!("{} {}\n", &code[..3], &code[3..]);
    let session = signed_in(computer.flow.verify(&mut pending, &typed).await.unwrap());
    assert!(pending.is_none(), "the code is used up");
    session
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_connect_then_a_second_computer_signs_in_with_its_code_and_unlocks_the_same_vault()
{
    require_keyring();
    let service = service().await;
    let first = Computer::new(&service, Program::Desktop);
    let session = sign_up(&service, &first).await;
    let plan = first.flow.connect_plan(&session).await.unwrap();
    assert_eq!(plan.vault_step, VaultStep::CreateAccountVault);
    assert_eq!(plan.email, EMAIL);
    let mut vault = first.connect(&session, None).await;
    vault.add(note("Recovery codes")).unwrap();
    keyhaven_client::sync::sync_once(&session, &std::sync::Mutex::new(&mut vault))
        .await
        .unwrap();
    assert_eq!(
        keyhaven_client::account::link_state(&vault, session.link().account_id).unwrap(),
        LinkState::ThisAccount
    );

    service.clock.advance(std::time::Duration::from_secs(61));
    let second = Computer::new(&service, Program::Cli);
    let mut pending = None;
    let outcome = second.password_sign_in(&mut pending, PASSWORD).await;
    assert!(
        matches!(outcome, Outcome::Step(Step::EnterCode { .. })),
        "{outcome:?}"
    );
    // A wrong code is refused and the step stays, so the right one still works.
    let wrong = second
        .flow
        .verify(&mut pending, "000000")
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Some(ErrorCode::SmsCodeInvalid), "{wrong:?}");
    assert!(pending.is_some());
    let session_2 = signed_in(
        second
            .flow
            .verify(&mut pending, &last_code(&service))
            .await
            .unwrap(),
    );
    let plan = second.flow.connect_plan(&session_2).await.unwrap();
    assert_eq!(plan.vault_step, VaultStep::UnlockAccountVault);
    let mut joined = second.connect(&session_2, None).await;
    keyhaven_client::sync::sync_once(&session_2, &std::sync::Mutex::new(&mut joined))
        .await
        .unwrap();
    let titles: Vec<_> = joined
        .list()
        .unwrap()
        .into_iter()
        .map(|s| s.title.clone())
        .collect();
    assert_eq!(titles, ["Recovery codes"]);

    // Signing in again on the same computer replaces its device: none is left behind.
    service.clock.advance(std::time::Duration::from_secs(61));
    let again = second.sign_in_with_code(&service).await;
    assert_ne!(again.link().device_id, session_2.link().device_id);
    let devices = first.flow.devices(&session).await.unwrap().devices;
    assert_eq!(devices.len(), 2, "{devices:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_vault_is_uploaded_or_merged_as_the_plan_says_and_sign_out_keeps_or_guards_it() {
    require_keyring();
    let service = service().await;
    // A computer that started without an account: its vault becomes the account's.
    let first = Computer::new(&service, Program::Desktop);
    let mut local = Vault::create(
        first.flow.files().vault(),
        MASTER.as_bytes(),
        KdfParams::MINIMUM,
    )
    .unwrap();
    local.add(note("Local note")).unwrap();
    drop(local);
    let session = sign_up(&service, &first).await;
    let plan = first.flow.connect_plan(&session).await.unwrap();
    assert_eq!(plan.vault_step, VaultStep::UploadLocalVault);
    let mut vault = first.connect(&session, None).await;
    // The upload carries the key material; the items follow with the first sync.
    keyhaven_client::sync::sync_once(&session, &std::sync::Mutex::new(&mut vault))
        .await
        .unwrap();
    drop(vault);

    // Another computer with a local vault of its own: its items go into the account's.
    service.clock.advance(std::time::Duration::from_secs(61));
    let second = Computer::new(&service, Program::Cli);
    let mut other = Vault::create(
        second.flow.files().vault(),
        b"another master password",
        KdfParams::MINIMUM,
    )
    .unwrap();
    other.add(note("Second note")).unwrap();
    drop(other);
    let session_2 = second.sign_in_with_code(&service).await;
    let plan = second.flow.connect_plan(&session_2).await.unwrap();
    assert_eq!(plan.vault_step, VaultStep::MergeLocalVault);
    let mut merged = second
        .connect(&session_2, Some("another master password"))
        .await;
    let mut titles: Vec<_> = merged
        .list()
        .unwrap()
        .into_iter()
        .map(|s| s.title.clone())
        .collect();
    titles.sort();
    assert_eq!(titles, ["Local note", "Second note"]);
    assert!(!second.flow.files().merging().exists());

    // A change not yet sent: deleting the local copy at sign-out is refused, nothing changes.
    merged.add(note("Not sent yet")).unwrap();
    drop(merged);
    let refused = second
        .flow
        .sign_out(Some(&session_2), false, &NoOpenVault, || {})
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ClientError::UnsyncedChanges(1)),
        "{refused:?}"
    );
    assert!(second.flow.link().unwrap().is_some(), "still signed in");
    // Keeping it: signed out, and the vault is a local vault with every item.
    second
        .flow
        .sign_out(Some(&session_2), true, &NoOpenVault, || {})
        .await
        .unwrap();
    assert!(second.flow.link().unwrap().is_none());
    let kept = second.flow.files().open_vault().unwrap();
    assert_eq!(kept.sync_link().unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_password_changes_signing_the_others_out_two_step_turns_off_and_the_account_is_deleted(
) {
    require_keyring();
    let service = service().await;
    let first = Computer::new(&service, Program::Desktop);
    let session = sign_up(&service, &first).await;
    let mut vault = first.connect(&session, None).await;
    vault.add(note("Stays here")).unwrap();
    keyhaven_client::sync::sync_once(&session, &std::sync::Mutex::new(&mut vault))
        .await
        .unwrap();
    drop(vault);
    service.clock.advance(std::time::Duration::from_secs(61));
    let second = Computer::new(&service, Program::Cli);
    let session_2 = second.sign_in_with_code(&service).await;

    // A wrong current password changes nothing.
    let wrong = first
        .flow
        .change_password(&session, "not the password", "a new account password 1")
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Some(ErrorCode::InvalidCredentials));
    let changed = first
        .flow
        .change_password(&session, PASSWORD, "a new account password 1")
        .await
        .unwrap();
    assert_eq!(changed.other_devices_signed_out, 1);
    let ended = first.flow.devices(&session_2).await;
    assert!(
        matches!(ended, Err(ClientError::SignInRequired)),
        "{ended:?}"
    );
    assert_eq!(first.flow.devices(&session).await.unwrap().devices.len(), 1);

    // 2-step verification off: signing in needs no code.
    first
        .flow
        .set_two_step(&session, "a new account password 1", false)
        .await
        .unwrap();
    assert!(!first.flow.info(&session).await.unwrap().two_step_enabled);
    let mut pending = None;
    let outcome = second
        .password_sign_in(&mut pending, "a new account password 1")
        .await;
    let _session_2 = signed_in(outcome);

    // Deleting needs the email typed and the password; then the vault stays as a local vault.
    let mismatch = first
        .flow
        .delete_account(
            &session,
            "a new account password 1",
            "someone@else",
            &NoOpenVault,
        )
        .await
        .unwrap_err();
    assert!(matches!(mismatch, ClientError::ConfirmationMismatch));
    first
        .flow
        .delete_account(
            &session,
            "a new account password 1",
            " Grace@Example.com ",
            &NoOpenVault,
        )
        .await
        .unwrap();
    assert!(first.flow.link().unwrap().is_none());
    let mut local = first.flow.files().open_vault().unwrap();
    assert_eq!(local.sync_link().unwrap(), None);
    local.unlock(MASTER.as_bytes()).unwrap();
    assert_eq!(local.list().unwrap().len(), 1);
    let again = keyhaven_protocol::sessions::SignIn {
        email: EMAIL.into(),
        password: "a new account password 1".into(),
        device: keyhaven_testkit::service::device("again"),
        accepted_statement_version: None,
    };
    let gone = service.client.sign_in(&again).await.unwrap_err();
    assert_eq!(gone.code(), Some(ErrorCode::InvalidCredentials));
}
