fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_info",
        "vault_status",
        "create_vault",
        "unlock_vault",
        "lock_vault",
        "list_items",
        "get_item",
        "add_item",
        "update_item",
        "delete_item",
        "generate_password",
        "password_strength",
    ]);
    let attributes = tauri_build::Attributes::new()
        .app_manifest(manifest)
        .capabilities_path_pattern("./src-tauri/capabilities/**/*");
    tauri_build::try_build(attributes).expect("tauri-build failed");
}
