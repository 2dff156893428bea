//! Social sign-in broker (issue #6, in progress): verifying what Google, Facebook or Apple
//! answer. So far: ID token verification.

pub mod id_token;
