//! Runs build commands: output streams to our stderr as it comes (stdout of a
//! synth may be a CloudFormation template, so nothing goes there), stdin is
//! closed so no tool can wait on a prompt, and a failure carries cargo's
//! exit status and first error lines.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::command::BuildCommand;
use crate::errors::{Error, Result};

/// How many error lines a thrown error quotes; the full output was streamed.
const QUOTED_ERROR_LINES: usize = 20;

#[derive(Debug, Default)]
struct Transcript {
    lines: Vec<String>,
}

impl Transcript {
    /// The first diagnostic that says what went wrong and the lines that
    /// follow it, else the tail. A diagnostic is a line that starts (after
    /// indentation) with `error:` or `error[`, as rustc, cargo and Zig write
    /// them; a wrapper's own `Error:` headline (cargo-lambda's, followed by a
    /// screenful of Zig's CPU list) counts only when no diagnostic exists.
    fn summary(&self) -> String {
        let diagnostic = |l: &String| {
            let t = l.trim_start();
            t.starts_with("error:") || t.starts_with("error[")
        };
        let start = self
            .lines
            .iter()
            .position(diagnostic)
            .or_else(|| self.lines.iter().position(|l| l.starts_with("error") || l.contains("Error:")));
        let picked: Vec<&String> = match start {
            Some(i) => self.lines.iter().skip(i).take(QUOTED_ERROR_LINES).collect(),
            None => {
                let from = self.lines.len().saturating_sub(QUOTED_ERROR_LINES);
                self.lines.iter().skip(from).collect()
            }
        };
        picked.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    }
}

fn pump(
    stream: impl Read + Send + 'static,
    transcript: Arc<Mutex<Transcript>>,
    echo: bool,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let reader = BufReader::new(stream);
        for line in reader.split(b'\n') {
            let Ok(line) = line else { break };
            let text = String::from_utf8_lossy(&line).trim_end_matches('\r').to_string();
            if echo {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{text}");
            }
            let mut t = transcript.lock().unwrap_or_else(|e| e.into_inner());
            if t.lines.len() < 100_000 {
                t.lines.push(text);
            }
        }
    })
}

/// Runs `cmd` to completion. `echo` streams its output to stderr.
pub fn run(cmd: &BuildCommand, echo: bool) -> Result<()> {
    let mut command = Command::new(&cmd.program);
    add_args(&mut command, cmd);
    command
        .current_dir(&cmd.cwd)
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|e| Error::CannotStart {
        command: cmd.display(),
        detail: e.to_string(),
        not_found: e.kind() == std::io::ErrorKind::NotFound,
    })?;
    let transcript = Arc::new(Mutex::new(Transcript::default()));
    let out = pump(child.stdout.take().expect("piped stdout"), transcript.clone(), echo);
    let err = pump(child.stderr.take().expect("piped stderr"), transcript.clone(), echo);
    let status = child.wait().map_err(|e| Error::WaitFailed { command: cmd.display(), detail: e.to_string() })?;
    let _ = out.join();
    let _ = err.join();
    if status.success() {
        return Ok(());
    }
    let summary = transcript.lock().unwrap_or_else(|e| e.into_inner()).summary();
    let how = match status.code() {
        Some(code) => format!("exit status {code}"),
        None => "killed by a signal".to_string(),
    };
    Err(Error::CommandFailed { command: cmd.display(), how, cwd: cmd.cwd.clone(), summary })
}

/// `cmd`'s arguments. On Windows, the script of `cmd /c <script>` goes to
/// cmd.exe as it is: cmd does not parse its command line the way C programs
/// do, so the usual quoting would change what the hook says.
fn add_args(command: &mut Command, cmd: &BuildCommand) {
    #[cfg(windows)]
    if cmd.program == "cmd" && cmd.args.len() == 2 && cmd.args[0] == "/c" {
        use std::os::windows::process::CommandExt;
        command.arg("/c").raw_arg(&cmd.args[1]);
        return;
    }
    command.args(&cmd.args);
}

/// The command that runs user hook commands, joined with `&&`: through
/// `sh -c` on Unix, `cmd /c` on Windows (as CDK's own local bundling runs
/// them there). Hooks are shell by design (documented); our own values never
/// go into them.
pub fn hook_command(commands: &[String], cwd: &Path, env: &[(String, String)], windows: bool) -> BuildCommand {
    let (program, flag) = if windows { ("cmd", "/c") } else { ("sh", "-c") };
    BuildCommand {
        program: program.into(),
        args: vec![flag.into(), commands.join(" && ")],
        cwd: cwd.to_path_buf(),
        env: env.to_vec(),
    }
}

/// Runs user hook commands ([`hook_command`] for this platform).
pub fn run_hooks(commands: &[String], cwd: &Path, env: &[(String, String)], stage: &'static str) -> Result<()> {
    if commands.is_empty() {
        return Ok(());
    }
    let cmd = hook_command(commands, cwd, env, cfg!(windows));
    run(&cmd, true).map_err(|cause| Error::HookFailed { stage, cause: Box::new(cause) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorCode;

    fn sh(script: &str) -> BuildCommand {
        BuildCommand { program: "sh".into(), args: vec!["-c".into(), script.into()], cwd: "/".into(), env: vec![] }
    }

    #[test]
    fn hooks_run_through_cmd_on_windows_and_sh_elsewhere() {
        let hooks = ["echo one".to_string(), "echo two".to_string()];
        let unix = hook_command(&hooks, Path::new("/w"), &[], false);
        assert_eq!(
            (unix.program.as_str(), unix.args.clone()),
            ("sh", vec!["-c".to_string(), "echo one && echo two".into()])
        );
        let windows = hook_command(&hooks, Path::new("/w"), &[], true);
        assert_eq!(
            (windows.program.as_str(), windows.args),
            ("cmd", vec!["/c".to_string(), "echo one && echo two".into()])
        );
    }

    #[test]
    fn success_is_ok() {
        run(&sh("echo fine"), false).unwrap();
    }

    #[test]
    fn failure_quotes_the_first_error_and_the_status() {
        let err = run(
            &sh("(echo compiling; echo 'error[E0425]: cannot find value'; echo '  --> src/main.rs:1:1') >&2; exit 101"),
            false,
        )
        .unwrap_err();
        assert_eq!(err.code(), ErrorCode::BuildFailed);
        assert!(err.message().contains("exit status 101"), "{}", err.message());
        assert!(err.message().contains("error[E0425]: cannot find value\n  --> src/main.rs:1:1"), "{}", err.message());
        let message = err.message();
        let quoted = message.split_once('\n').unwrap().1;
        assert!(!quoted.contains("compiling"), "{quoted}");
    }

    #[test]
    fn the_quoted_lines_start_at_the_cause_not_at_a_wrappers_headline() {
        // What cargo-lambda prints when Zig does not know a CPU (shortened).
        let script = "printf '%s\\n' 'Error:   x Failed to collect zig cc options' '  info: available CPUs:' '   alderlake' '   znver5' '      error: unknown CPU: neoverse_n1' '  Was this behavior unexpected?' >&2; exit 1";
        let err = run(&sh(script), false).unwrap_err();
        let message = err.message();
        let quoted: Vec<&str> = message.lines().skip(1).collect();
        assert_eq!(quoted[0].trim(), "error: unknown CPU: neoverse_n1", "{message}");
        assert!(!quoted.iter().any(|l| l.contains("alderlake")), "{message}");
        // With no diagnostic at all, the headline is the best there is.
        let err = run(&sh("echo 'Error: something broke' >&2; exit 2"), false).unwrap_err();
        assert!(err.message().ends_with("Error: something broke"), "{err}");
    }

    #[test]
    fn a_missing_program_is_a_missing_tool() {
        let cmd = BuildCommand { program: "no-such-tool-xyz".into(), args: vec![], cwd: "/".into(), env: vec![] };
        assert_eq!(run(&cmd, false).unwrap_err().code(), ErrorCode::ToolMissing);
    }

    #[test]
    fn stdin_is_closed_so_prompts_cannot_hang() {
        run(&sh("if read line; then exit 1; else exit 0; fi"), false).unwrap();
    }

    #[test]
    fn environment_values_are_data() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("pwned");
        let mut cmd = sh("test \"$V\" = \"$(printf '%s' \"$EXPECTED\")\"");
        let value = format!("$(touch {})", marker.display());
        cmd.env = vec![("V".into(), value.clone()), ("EXPECTED".into(), value)];
        run(&cmd, false).unwrap();
        assert!(!marker.exists());
    }

    #[test]
    fn hooks_run_in_order_and_stop_at_the_first_failure() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let l = log.display();
        run_hooks(&[format!("echo one >> {l}"), format!("echo two >> {l}")], dir.path(), &[], "beforeBundling")
            .unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "one\ntwo\n");
        let err =
            run_hooks(&["false".into(), format!("echo three >> {l}")], dir.path(), &[], "afterBundling").unwrap_err();
        assert!(err.message().starts_with("afterBundling hook failed"));
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "one\ntwo\n");
    }
}
