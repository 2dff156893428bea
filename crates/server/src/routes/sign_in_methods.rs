//! `/v1/account/sign-in-methods`: the signed-in account's ways to sign in (its password and its
//! linked providers), linking another provider from a signed-in device, and removing one, never
//! the last.

use axum::extract::State;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use keyhaven_protocol::accounts::{LinkProvider, LinkedProvider, SignInMethods};
use keyhaven_protocol::error::{ErrorCode, Problem};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Authed, ClientIp, Json, Path};
use crate::routes::oauth_token::{check_code_binding, identity_in_use, take_bound_code};
use crate::state::AppState;
use crate::store::accounts;
use crate::store::social_identities::{self, IdentityRow};

/// The account's password (whether it has one) and its linked providers, oldest first.
#[utoipa::path(get, path = "/v1/account/sign-in-methods", operation_id = "list_sign_in_methods", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = SignInMethods), (status = 401, body = Problem)))]
pub async fn list(State(state): State<AppState>, authed: Authed) -> ApiResult<Json<SignInMethods>> {
    Ok(Json(methods(&state, &authed.account_id).await?))
}

/// Links the provider identity of a browser sign-in's one-time code (taken with the app's
/// client id, redirect URI and PKCE verifier) to the signed-in account: the signed-in device is
/// the proof. Linking one that is linked already is no change.
#[utoipa::path(post, path = "/v1/account/sign-in-methods", operation_id = "link_sign_in_method", tag = "accounts", security(("bearer" = [])),
    request_body = LinkProvider,
    responses((status = 200, body = SignInMethods), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 409, body = Problem)))]
pub async fn link(
    State(state): State<AppState>,
    authed: Authed,
    ClientIp(ip): ClientIp,
    Json(request): Json<LinkProvider>,
) -> ApiResult<Json<SignInMethods>> {
    crate::throttle::admit_ip(&state, ip).await?;
    check_code_binding(
        &request.client_id,
        &request.redirect_uri,
        request.code.expose(),
        request.code_verifier.expose(),
    )?;
    let code = take_bound_code(
        &state,
        &request.client_id,
        &request.redirect_uri,
        request.code.expose(),
        request.code_verifier.expose(),
    )
    .await?;
    let identity = crate::codes::LinkedIdentity::of(&code).at(state.now());
    let mut conn = state.db.acquire().await?;
    if !social_identities::link_to(&mut conn, &identity, &authed.account_id).await? {
        return Err(identity_in_use());
    }
    drop(conn);
    tracing::info!(account_id = %authed.account_id, provider = %identity.provider, "sign-in method linked");
    Ok(Json(methods(&state, &authed.account_id).await?))
}

/// Unlinks one provider; refused (`last_sign_in_method`) when nothing else could sign in: no
/// account password and no other provider. Checked and done under the account's lock, so two
/// removals at once cannot take away the last two.
#[utoipa::path(delete, path = "/v1/account/sign-in-methods/{method_id}", operation_id = "remove_sign_in_method", tag = "accounts", security(("bearer" = [])),
    params(("method_id" = String, Path)),
    responses((status = 200, body = SignInMethods), (status = 401, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<SignInMethods>> {
    let mut tx = state.db.begin().await?;
    accounts::lock_row(&mut *tx, &authed.account_id).await?;
    let account = accounts::by_id(&mut *tx, &authed.account_id)
        .await?
        .ok_or_else(|| {
            ApiError::new(ErrorCode::Unauthenticated, "The account no longer exists.")
        })?;
    let linked = social_identities::for_account(&mut *tx, &account.id).await?;
    let Some(target) = linked.iter().find(|identity| method_id(identity) == id) else {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            "This sign-in method is not linked to the account.",
        ));
    };
    if account.password_hash.is_empty() && linked.len() == 1 {
        return Err(ApiError::new(
            ErrorCode::LastSignInMethod,
            "This is the account's only way to sign in, so it cannot be removed.",
        ));
    }
    social_identities::unlink(&mut *tx, &account.id, &target.issuer, &target.subject).await?;
    tx.commit().await?;
    tracing::info!(account_id = %account.id, provider = %target.provider, "sign-in method removed");
    Ok(Json(methods(&state, &authed.account_id).await?))
}

async fn methods(state: &AppState, account_id: &str) -> ApiResult<SignInMethods> {
    let account = accounts::by_id(&state.db, account_id)
        .await?
        .ok_or_else(|| {
            ApiError::new(ErrorCode::Unauthenticated, "The account no longer exists.")
        })?;
    let providers = social_identities::for_account(&state.db, account_id)
        .await?
        .iter()
        .map(|identity| LinkedProvider {
            id: method_id(identity),
            provider: identity.provider.clone(),
            linked_at: identity.created_at,
        })
        .collect();
    Ok(SignInMethods {
        password: !account.password_hash.is_empty(),
        providers,
    })
}

/// A linked identity's id on the wire: a hash of issuer and subject, so the list shows neither.
fn method_id(identity: &IdentityRow) -> String {
    let digest = Sha256::new()
        .chain_update(identity.issuer.as_bytes())
        .chain_update([0])
        .chain_update(identity.subject.as_bytes())
        .finalize();
    URL_SAFE_NO_PAD.encode(&digest[..16])
}
