//! `riffle completions SHELL`: a completion script generated from the same clap definitions the
//! binary parses with, so completions never lag behind the flags.

use clap::Args;
use clap_complete::Shell;

#[derive(Debug, Args)]
#[command(after_help = "Install, for example:\n  \
    bash: riffle completions bash > ~/.local/share/bash-completion/completions/riffle\n  \
    zsh:  riffle completions zsh > ~/.zfunc/_riffle   (with `fpath+=~/.zfunc` before compinit)\n  \
    fish: riffle completions fish > ~/.config/fish/completions/riffle.fish")]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: &CompletionsArgs, command: &mut clap::Command) {
    clap_complete::generate(args.shell, command, "riffle", &mut std::io::stdout());
}
