//! `riffle completions SHELL` writes a script for every shell clap_complete knows.

use super::ok;

#[test]
fn completions_are_scripts_that_know_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = ok(&["completions", shell]);
        assert!(script.len() > 1000, "{shell}: {script}");
        assert!(script.contains("riffle") && script.contains("stream") && script.contains("endpoint-url"), "{shell}");
    }
    let err = super::fails(&["completions", "tcsh"]);
    assert!(err.contains("tcsh") && err.contains("bash"), "{err}");
}
