fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_info",
        "note_activity",
        "ui_ready",
        "vault_status",
        "create_vault",
        "unlock_vault",
        "lock_vault",
        "list_items",
        "list_folders",
        "get_item",
        "get_item_for_edit",
        "reveal_item_field",
        "add_item",
        "update_item",
        "delete_item",
        "mark_item_reviewed",
        "open_item_url",
        "copy_item_field",
        "copy_text",
        "generate_password",
        "password_strength",
        "get_settings",
        "update_settings",
        "account_status",
        "get_statement",
        "sign_up",
        "sign_in",
        "verify_code",
        "resend_code",
        "cancel_sign_in",
        "connect_vault",
        "sync_now",
        "list_devices",
        "revoke_device",
        "sign_out",
    ]);
    let attributes = tauri_build::Attributes::new()
        .app_manifest(manifest)
        .capabilities_path_pattern("./src-tauri/capabilities/**/*");
    tauri_build::try_build(attributes).expect("tauri-build failed");
}
