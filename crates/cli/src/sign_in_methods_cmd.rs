//! `keyhaven account methods`: the account's sign-in methods, linking a provider through the
//! browser from this signed-in computer, and removing one.

use anyhow::Result;
use keyhaven_client::account::{AccountFlow, SignInMethodsView};
use keyhaven_client::browser_sign_in::WAIT_LIMIT;

use crate::account_cmd::signed_in;
use crate::args::MethodsArgs;
use crate::output;
use crate::UsageError;

/// Lists, adds (`--add PROVIDER`) or removes (`--remove ID_OR_PROVIDER`).
pub async fn run(flow: &AccountFlow, args: MethodsArgs, json: bool) -> Result<()> {
    let session = signed_in(flow)?;
    let methods = if let Some(provider) = &args.add {
        let started = flow.start_browser_sign_in(provider).await?;
        let url = started.authorize_url().to_owned();
        eprintln!("To add {provider}, sign in with it in a browser on this computer:\n\n  {url}\n");
        if !args.no_browser && open::that_detached(&url).is_ok() {
            eprintln!("(Your browser was opened. Waiting for it to come back…)");
        } else {
            eprintln!("Waiting for the browser to come back (up to 5 minutes)…");
        }
        let code = started.wait(WAIT_LIMIT).await?;
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
