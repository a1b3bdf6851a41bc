//! The layering rules, and docs/configuration.md kept equal to the flags it documents.

use super::*;
use crate::serve::ServeArgs;
use clap::Command;

fn serve(file: &str, cli: &[&str]) -> anyhow::Result<ServeArgs> {
    let parsed: RiffleToml = toml::from_str(file)?;
    let cli: Vec<OsString> = cli.iter().map(OsString::from).collect();
    layered("serve", &parsed.serve, &cli, Path::new("riffle.toml"))
}

#[test]
fn file_values_apply_and_flags_override_them() {
    let file =
        "[serve]\nshard-limit = 7\nregion = \"eu-west-1\"\nenforce-limits = true\naccess-key = [\"A:B\", \"C:D\"]\n";
    let args = serve(file, &[]).unwrap();
    let text = format!("{args:?}");
    assert!(text.contains("shard_limit: 7") && text.contains("\"eu-west-1\"") && text.contains("enforce_limits: true"));
    assert!(text.contains("access_keys: [") && text.contains("C"), "{text}");
    let args = format!("{:?}", serve(file, &["--shard-limit", "9"]).unwrap());
    assert!(args.contains("shard_limit: 9") && args.contains("\"eu-west-1\""), "{args}");
}

#[test]
fn a_flag_given_on_the_command_line_drops_file_keys_it_conflicts_with() {
    let args = format!("{:?}", serve("[serve]\ndata-dir = \"/nowhere\"\n", &["--in-memory"]).unwrap());
    assert!(args.contains("in_memory: true"), "{args}");
}

#[test]
fn unknown_keys_and_sections_are_refused_by_name() {
    let e = format!("{:#}", serve("[serve]\nshard-limt = 7\n", &[]).unwrap_err());
    assert!(e.contains("unknown key `shard-limt`"), "{e}");
    let e = format!("{:#}", serve("[serv]\nshard-limit = 7\n", &[]).unwrap_err());
    assert!(e.contains("serv"), "{e}");
    let e = format!("{:#}", serve("[serve]\nconfig = \"x.toml\"\n", &[]).unwrap_err());
    assert!(e.contains("unknown key `config`"), "{e}");
}

#[test]
fn bad_values_name_the_file_and_the_flag() {
    let e = format!("{:#}", serve("[serve]\nshard-limit = \"many\"\n", &[]).unwrap_err());
    assert!(e.contains("riffle.toml") && e.contains("--shard-limit"), "{e}");
    let e = format!("{:#}", serve("[serve]\ntls = \"yes\"\n", &[]).unwrap_err());
    assert!(e.contains("key `tls` is a switch"), "{e}");
}

/// Every `riffle serve` setting, in the order `--help` lists them: the key, what it takes, its
/// default, its environment variable and its meaning, all read from the clap definitions.
fn serve_keys_table() -> String {
    let command = ServeArgs::augment_args(Command::new("serve"));
    let mut out =
        String::from("| key (flag) | value | default | environment | meaning |\n| --- | --- | --- | --- | --- |\n");
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if NOT_KEYS.contains(&long) {
            continue;
        }
        let switch = matches!(arg.get_action(), ArgAction::SetTrue);
        let value = match (switch, arg.get_value_names()) {
            (true, _) => "`true`/`false`".to_string(),
            (false, Some(names)) => {
                format!("`{}`", names.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "))
            }
            (false, None) => format!("`{}`", arg.get_id().as_str().to_uppercase()),
        };
        let repeatable = matches!(arg.get_action(), ArgAction::Append);
        let value = if repeatable { format!("{value} or a list") } else { value };
        let defaults: Vec<String> = arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
        let default = match (switch, defaults.is_empty()) {
            (true, _) => "`false`".to_string(),
            (false, true) => "none".to_string(),
            (false, false) => format!("`{}`", defaults.join(",")),
        };
        let env = arg.get_env().map_or(String::new(), |e| format!("`{}`", e.to_string_lossy()));
        let help = arg.get_long_help().or(arg.get_help()).map(ToString::to_string).unwrap_or_default();
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|");
        out.push_str(&format!("| `{long}` (`--{long}`) | {value} | {default} | {env} | {help} |\n"));
    }
    out
}

const START: &str = "<!-- serve-keys:start (generated from the clap flags by `RIFFLE_BLESS_DOCS=1 cargo test -p riffle-cli config_file`) -->\n";
const END: &str = "<!-- serve-keys:end -->";

fn docs_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md")
}

/// The generated table in docs/configuration.md matches the flags. A new or changed flag fails
/// here until the docs are regenerated (`RIFFLE_BLESS_DOCS=1` rewrites the table in place).
#[test]
fn configuration_docs_match_the_serve_flags() {
    let path = docs_path();
    let docs = std::fs::read_to_string(&path).unwrap();
    let (before, rest) = docs.split_once(START).expect("docs/configuration.md has the serve-keys start marker");
    let (current, after) = rest.split_once(END).expect("docs/configuration.md has the serve-keys end marker");
    let table = serve_keys_table();
    if current != table && std::env::var_os("RIFFLE_BLESS_DOCS").is_some() {
        std::fs::write(&path, format!("{before}{START}{table}{END}{after}")).unwrap();
        return;
    }
    assert_eq!(
        current, table,
        "docs/configuration.md is stale: run RIFFLE_BLESS_DOCS=1 cargo test -p riffle-cli config_file"
    );
}

/// Belt and braces for the test above: every flag's key is named in the docs.
#[test]
fn every_serve_flag_has_a_documented_key() {
    let docs = std::fs::read_to_string(docs_path()).unwrap();
    let command = ServeArgs::augment_args(Command::new("serve"));
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if !NOT_KEYS.contains(&long) {
            assert!(docs.contains(&format!("| `{long}` (`--{long}`) |")), "riffle.toml key `{long}` is not documented");
        }
    }
}
