//! `keyhaven account methods`: the account's sign-in methods, linking a provider through the
//! browser from this signed-in computer, removing one, and an account password for an account
//! made with a provider.

use anyhow::Result;
use keyhaven_client::account::{AccountFlow, SignInMethodsView};

use crate::account_cmd::{browser_code, show_step, signed_in, PendingFile};
use crate::args::MethodsArgs;
use crate::input::Input;
use crate::output;
use crate::UsageError;

/// Lists, adds (`--add PROVIDER`), removes (`--remove ID_OR_PROVIDER`), or adds an account
/// password (`--add-password`).
pub async fn run(
    flow: &AccountFlow,
    args: MethodsArgs,
    input: &mut Input,
    json: bool,
) -> Result<()> {
    let session = signed_in(flow)?;
    if args.add_password {
        let password = input.new_secret("New account password (not your master password): ")?;
        let mut pending = None;
        let step = flow
            .add_account_password(&session, &mut pending, &password)
            .await?;
        PendingFile::of(flow).save(&pending)?;
        return show_step(step, json);
    }
    let methods = if let Some(provider) = &args.add {
        let code = browser_code(flow, provider, args.no_browser).await?;
        let methods = flow.link_sign_in_method(&session, code).await?;
        if !json {
            println!("{provider} now signs in to your account.");
        }
        methods
    } else if let Some(which) = &args.remove {
        let listed = flow.sign_in_methods(&session).await?;
        let id = pick(&listed, which)?;
        let methods = flow.remove_sign_in_method(&session, &id).await?;
        if !json {
            println!("Removed: it no longer signs in to your account.");
        }
        methods
    } else {
        flow.sign_in_methods(&session).await?
    };
    if json {
        output::json(&methods);
    } else {
        print(&methods);
    }
    Ok(())
}

/// The id of the provider `which` names: an id from the list, or a provider's name when the
/// account has linked it once.
fn pick(methods: &SignInMethodsView, which: &str) -> Result<String> {
    if let Some(linked) = methods.providers.iter().find(|p| p.id == which) {
        return Ok(linked.id.clone());
    }
    let named: Vec<_> = methods
        .providers
        .iter()
        .filter(|p| p.provider.eq_ignore_ascii_case(which))
        .collect();
    match named.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(UsageError(format!("no linked sign-in method is {which}")).into()),
        _ => Err(UsageError(format!(
            "{which} is linked more than once; name it by its id (keyhaven account methods)"
        ))
        .into()),
    }
}

fn print(methods: &SignInMethodsView) {
    if methods.password {
        println!("password  (email and account password)");
    }
    for linked in &methods.providers {
        println!("{:<9} {}", linked.provider, linked.id);
    }
    if !methods.can_remove {
        println!("(the only way to sign in: add another before removing it)");
    }
}
