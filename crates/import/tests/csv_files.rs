//! The CSV exports, built to the headers each tool writes, with CSV's odd cases: quoted
//! newlines, commas and quotes, a BOM, CRLF line ends, rows of another length.

use keyhaven_import::csv_files::{read_mapped, sample, ColumnMap};
use keyhaven_import::Format;
use keyhaven_vault::item::{ItemContent, Login};

fn login(item: &keyhaven_vault::item::Item) -> &Login {
    match &item.content {
        ItemContent::Login(login) => login,
        other => panic!("{other:?}"),
    }
}

#[test]
fn chrome_edge_and_brave_with_quoted_newlines_commas_quotes_a_bom_and_crlf() {
    let file = "\u{feff}name,url,username,password,note\r\n\
        GitHub,https://github.com/login,ada,\"p,a\"\"ss\",\"two\r\nlines\"\r\n\
        ,https://bank.example:8443/x?y,ada@example.com,bank-1,\r\n\
        short,https://short.example\r\n";
    let imported = Format::ChromeCsv
        .read("Chrome Passwords.csv", file.as_bytes())
        .unwrap();
    let titles: Vec<&str> = imported.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["GitHub", "bank.example", "short"]);
    let github = login(&imported.items[0]);
    assert_eq!(
        (github.username.as_str(), github.password.as_str()),
        ("ada", "p,a\"ss")
    );
    assert_eq!(github.notes, "two\nlines");
    assert_eq!(github.urls, ["https://github.com/login"]);
    assert_eq!(
        login(&imported.items[2]).password,
        "",
        "a short row is read as far as it goes"
    );
}

#[test]
fn the_older_chrome_header_without_notes_is_read_too() {
    let imported = Format::ChromeCsv
        .read(
            "p.csv",
            b"name,url,username,password\nX,https://x.example,u,p\n",
        )
        .unwrap();
    assert_eq!(login(&imported.items[0]).password, "p");
}

#[test]
fn firefox_names_items_by_host_and_keeps_its_times() {
    let file = "\"url\",\"username\",\"password\",\"httpRealm\",\"formActionOrigin\",\"guid\",\"timeCreated\",\"timeLastUsed\",\"timePasswordChanged\"\n\
        \"https://accounts.example.com\",\"ada\",\"fx-1\",,\"https://accounts.example.com\",\"{a1}\",\"1600000000000\",\"1700000000000\",\"1650000000000\"\n";
    let imported = Format::FirefoxCsv
        .read("logins.csv", file.as_bytes())
        .unwrap();
    let item = &imported.items[0];
    assert_eq!(item.title, "accounts.example.com");
    assert_eq!(
        (item.created_at, item.updated_at),
        (1_600_000_000_000, 1_650_000_000_000)
    );
    assert_eq!(login(item).password, "fx-1");
}

#[test]
fn safari_keeps_its_one_time_password_uri() {
    let file = "Title,URL,Username,Password,Notes,OTPAuth\n\
        Example (ada),https://example.com/,ada,s-1,note,otpauth://totp/Example:ada?secret=JBSWY3DPEHPK3PXP\n";
    let imported = Format::SafariCsv
        .read("Passwords.csv", file.as_bytes())
        .unwrap();
    let item = login(&imported.items[0]);
    assert_eq!(
        item.totp_secret.as_deref(),
        Some("otpauth://totp/Example:ada?secret=JBSWY3DPEHPK3PXP")
    );
    assert_eq!(item.notes, "note");
}

#[test]
fn bitwardens_csv_has_notes_folders_favourites_fields_and_several_uris() {
    let file = "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n\
        Work,1,login,GitHub,,\"PIN: 0420\nRegion: eu\",0,\"https://github.com,https://gist.github.com\",ada,gh-1,JBSWY3DPEHPK3PXP\n\
        ,,note,Wifi,\"Wifi\n====\npassword: hunter2\",,0,,,,\n";
    let imported = Format::BitwardenCsv
        .read("bitwarden_export.csv", file.as_bytes())
        .unwrap();
    let github = &imported.items[0];
    assert!(github.favourite);
    assert_eq!(github.folder.as_deref(), Some("Work"));
    let fields: Vec<(&str, &str)> = login(github)
        .custom_fields
        .iter()
        .map(|f| (f.name.as_str(), f.value.as_str()))
        .collect();
    assert_eq!(fields, [("PIN", "0420"), ("Region", "eu")]);
    assert_eq!(
        login(github).urls,
        ["https://github.com", "https://gist.github.com"]
    );
    let ItemContent::SecureNote(note) = &imported.items[1].content else {
        panic!()
    };
    assert_eq!(note.notes, "Wifi\n====\npassword: hunter2");
}

#[test]
fn keepassxc_groups_become_folder_paths_without_the_root() {
    let file = "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\"Last Modified\",\"Created\"\n\
        \"Root/Work/Git\",\"GitHub\",\"ada\",\"kp-1\",\"https://github.com\",\"multi\nline\",\"\",\"0\",\"2024-06-01T08:00:00Z\",\"2022-01-01T08:00:00Z\"\n\
        \"Root\",\"Top\",\"u\",\"p\",\"\",\"\",\"\",\"0\",\"\",\"\"\n";
    let imported = Format::KeepassXcCsv
        .read("export.csv", file.as_bytes())
        .unwrap();
    assert_eq!(imported.items[0].folder.as_deref(), Some("Work/Git"));
    assert_eq!(imported.items[1].folder, None);
    assert_eq!(imported.items[0].created_at, 1_641_024_000_000);
    assert_eq!(login(&imported.items[0]).notes, "multi\nline");
}

#[test]
fn the_wrong_format_names_the_file_and_the_missing_columns() {
    let error = Format::FirefoxCsv
        .read(
            "Chrome Passwords.csv",
            b"name,url,username,password\nX,https://x,u,p\n",
        )
        .unwrap_err();
    assert_eq!(error.code(), "import_wrong_format");
    let message = error.to_string();
    assert!(
        message.starts_with("Chrome Passwords.csv is not a Firefox CSV file"),
        "{message}"
    );
    assert!(message.contains("no guid column"), "{message}");
    let error = Format::ChromeCsv.read("x.csv", b"\xff\xfe,,").unwrap_err();
    assert!(error.to_string().contains("not UTF-8"), "{error}");
}

#[test]
fn a_generic_csv_is_sampled_then_read_with_the_persons_column_map() {
    let file = "Site;Login;Secret\nnot,a,row\n";
    let sampled = sample("other.csv", file.as_bytes(), 5).unwrap();
    assert_eq!(
        sampled.headers,
        ["Site;Login;Secret"],
        "one column: the file uses ';'"
    );
    let file = "Site,Login,Secret,Extra\nhttps://a.example,ada,a-1,x\nhttps://b.example,bob,b-1\n";
    let sampled = sample("other.csv", file.as_bytes(), 5).unwrap();
    assert_eq!(sampled.headers, ["Site", "Login", "Secret", "Extra"]);
    assert_eq!(sampled.rows.len(), 2);
    assert_eq!(
        sampled.suggested.username,
        Some(1),
        "\"login\" is recognized as the username"
    );
    let map = ColumnMap {
        url: Some(0),
        username: Some(1),
        password: Some(2),
        ..ColumnMap::default()
    };
    let imported = read_mapped("other.csv", file.as_bytes(), &map).unwrap();
    let titles: Vec<&str> = imported.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["a.example", "b.example"]);
    assert_eq!(login(&imported.items[1]).password, "b-1");
    let unmapped = read_mapped("other.csv", file.as_bytes(), &ColumnMap::default()).unwrap_err();
    assert!(
        unmapped
            .to_string()
            .contains("no column is mapped to the title or the URL"),
        "{unmapped}"
    );
}

mod no_panic {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn on_any_bytes_in_any_csv_format(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            for format in [keyhaven_import::Format::ChromeCsv, keyhaven_import::Format::FirefoxCsv,
                           keyhaven_import::Format::SafariCsv, keyhaven_import::Format::BitwardenCsv,
                           keyhaven_import::Format::KeepassXcCsv, keyhaven_import::Format::GenericCsv] {
                let _ = format.read("x.csv", &bytes);
            }
        }

        #[test]
        fn on_any_rows_under_a_real_header(rows in proptest::collection::vec("[a-z,\"\n\r:/ ]{0,40}", 0..20)) {
            let file = format!("folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n{}", rows.join("\n"));
            let _ = keyhaven_import::Format::BitwardenCsv.read("x.csv", file.as_bytes());
        }
    }
}
