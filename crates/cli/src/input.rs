//! Where secrets come from: the terminal without echo, or standard input lines for scripts.

use std::io::{self, BufRead, IsTerminal, Read, Write};

use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

/// Reads secrets and confirmations either interactively or from stdin, never from arguments.
pub struct Input {
    from_stdin: bool,
    stdin: io::StdinLock<'static>,
}

impl Input {
    pub fn new(from_stdin: bool) -> Self {
        Self {
            from_stdin,
            stdin: io::stdin().lock(),
        }
    }

    fn interactive(&self) -> bool {
        !self.from_stdin && io::stdin().is_terminal()
    }

    fn read_line(&mut self) -> Result<Zeroizing<String>> {
        let mut line = Zeroizing::new(String::new());
        if self
            .stdin
            .read_line(&mut line)
            .context("cannot read standard input")?
            == 0
        {
            bail!(crate::UsageError(
                "standard input ended before the expected line".into()
            ));
        }
        while line.ends_with('\n') || line.ends_with('\r') {
            line.pop();
        }
        Ok(line)
    }

    /// A secret: from the terminal without echo, or the next stdin line with --password-stdin.
    pub fn secret(&mut self, prompt: &str) -> Result<Zeroizing<String>> {
        if self.from_stdin {
            return self.read_line();
        }
        if !io::stdin().is_terminal() {
            bail!(crate::UsageError(
                "no terminal to ask for a secret; pass it on standard input with --password-stdin"
                    .into()
            ));
        }
        Ok(Zeroizing::new(
            rpassword::prompt_password(prompt).context("cannot read from the terminal")?,
        ))
    }

    /// A new secret, typed twice when interactive.
    pub fn new_secret(&mut self, prompt: &str) -> Result<Zeroizing<String>> {
        let first = self.secret(prompt)?;
        if self.interactive() {
            let again = self.secret("Type it again: ")?;
            if *again != *first {
                bail!(crate::UsageError("the two entries differ".into()));
            }
        }
        Ok(first)
    }

    /// A visible line from the terminal (for non-secret questions).
    pub fn line(&mut self, prompt: &str) -> Result<String> {
        eprint!("{prompt}");
        io::stderr().flush().ok();
        Ok(self.read_line()?.to_string())
    }

    /// Yes/no: interactive only; without a terminal the caller must pass --yes.
    pub fn confirm(&mut self, prompt: &str) -> Result<bool> {
        if !self.interactive() {
            bail!(crate::UsageError(
                "confirmation needs a terminal; pass --yes".into()
            ));
        }
        let answer = self.line(&format!("{prompt} [y/N] "))?;
        Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
    }

    /// Everything left on stdin (JSON input for --from-json).
    pub fn rest(&mut self) -> Result<Zeroizing<String>> {
        let mut rest = Zeroizing::new(String::new());
        self.stdin
            .read_to_string(&mut rest)
            .context("cannot read standard input")?;
        Ok(rest)
    }
}
