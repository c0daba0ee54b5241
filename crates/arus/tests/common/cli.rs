//! Running the real `arus` binary as a command-line tool, for the CLI tests.

use std::io::Write;
use std::process::{Command, Stdio};

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// Runs `arus <args>` with `stdin` fed to it and waits for it to exit.
pub fn arus(args: &[&str], stdin: &str) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_arus"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn arus");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    let out = child.wait_with_output().expect("wait for arus");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn ok(args: &[&str], stdin: &str) -> Out {
    let out = arus(args, stdin);
    assert_eq!(
        out.code, 0,
        "arus {args:?} failed\nstdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    out
}

/// Runs `arus <args>` expecting failure; returns the output for its message to be checked.
pub fn fails(args: &[&str]) -> Out {
    let out = arus(args, "");
    assert_ne!(
        out.code, 0,
        "arus {args:?} should have failed\nstdout:\n{}",
        out.stdout
    );
    out
}
