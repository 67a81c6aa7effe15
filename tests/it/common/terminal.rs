//! The real binary in a real terminal: a standalone simulator process, and the console in a
//! tmux session on a private tmux server (so tests never touch the developer's own tmux).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::autoheal;

/// `autoheal sim` as a process of its own, killed when dropped.
pub struct SimProcess {
    child: Child,
    pub url: String,
}

impl SimProcess {
    /// Starts `autoheal sim --port 0 --scenario SCENARIO EXTRA...` and reads its address
    /// from the first line it prints.
    pub fn start(home: &Path, scenario: &Path, extra: &[&str]) -> SimProcess {
        let scenario = scenario.to_string_lossy();
        let args: Vec<&str> = extra
            .iter()
            .copied()
            .chain(["--scenario", &scenario])
            .collect();
        SimProcess::start_with(home, &args)
    }

    /// Starts `autoheal sim --port 0 ARGS...` (a generated organisation: `--org acme`).
    pub fn start_with(home: &Path, args: &[&str]) -> SimProcess {
        let mut child = autoheal(home)
            .args(["sim", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("autoheal sim starts");
        let mut banner = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut first = String::new();
        banner
            .read_line(&mut first)
            .expect("the simulator's banner");
        let url = first
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{first}");
        SimProcess { child, url }
    }

    /// `GET /_sim/requests`: every request the simulator answered, over a plain socket.
    pub fn requests(&self) -> serde_json::Value {
        let addr = self.url.trim_start_matches("http://");
        let addr = addr.split('/').next().unwrap_or(addr);
        let mut stream = std::net::TcpStream::connect(addr).expect("the simulator answers");
        write!(
            stream,
            "GET /_sim/requests HTTP/1.0\r\nHost: {addr}\r\n\r\n"
        )
        .expect("request sent");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response");
        let body = response.split("\r\n\r\n").nth(1).unwrap_or("[]");
        serde_json::from_str(body).expect("JSON")
    }

    /// How many requests with this method had a path ending in `suffix`.
    pub fn count(&self, method: &str, suffix: &str) -> usize {
        self.requests()
            .as_array()
            .map(|all| {
                all.iter()
                    .filter(|r| {
                        r["method"] == method
                            && r["path"].as_str().is_some_and(|p| p.ends_with(suffix))
                    })
                    .count()
            })
            .unwrap_or(0)
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The shell command that runs the console against `url` with `home`'s directories, then
/// prints its exit status and waits, so the screen after it can be read.
pub fn console_command(home: &Path, url: &str, env: &[(&str, &str)], args: &str) -> String {
    let extra: String = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    format!(
        "env -u GH_TOKEN GITHUB_API_URL={url} AUTOHEAL_DATA_DIR={} AUTOHEAL_CONFIG_DIR={} \
         AUTOHEAL_CACHE_DIR={} {extra}{} {args}; echo AUTOHEAL-EXITED $?; sleep 60",
        home.join("data").display(),
        home.join("config").display(),
        home.join("cache").display(),
        env!("CARGO_BIN_EXE_autoheal"),
    )
}

/// A 140×45 tmux session running one command, on a tmux server of its own; the server is
/// killed when this is dropped, whether the test passed or not.
pub struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    /// `None` (and a printed reason) when tmux is not installed.
    pub fn start(name: &str, command: &str, setup: &[&[&str]]) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            println!("skipped: tmux is not installed (.ci/run installs it)");
            return None;
        }
        let t = Tmux {
            socket: format!("autoheal-test-{name}-{}", std::process::id()),
            session: name.to_string(),
        };
        // A POSIX shell runs the pane's command, whatever the developer's own shell is.
        t.run(&[
            "-f",
            "/dev/null",
            "set-option",
            "-g",
            "default-shell",
            "/bin/sh",
            ";",
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "140",
            "-y",
            "45",
            "sleep 600",
        ]);
        for args in setup {
            t.run(args);
        }
        t.run(&["respawn-pane", "-k", "-t", name, command]);
        Some(t)
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The visible screen as text.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.session])
    }

    /// The visible screen with the escape sequences tmux would send to draw it (`-e`).
    pub fn screen_with_escapes(&self) -> String {
        self.run(&["capture-pane", "-p", "-e", "-t", &self.session])
    }

    /// A tmux format about the pane, e.g. `#{alternate_on}` or `#{pane_title}`.
    pub fn query(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", &self.session, format])
            .trim()
            .to_string()
    }

    /// The tmux paste buffers (an OSC 52 clipboard write with `set-clipboard on` makes one).
    pub fn buffers(&self) -> String {
        self.run(&["list-buffers"])
    }

    /// Waits until the screen shows `text` (or fails with the screen it saw).
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(|s| s.contains(text), &format!("showed {text:?}"))
    }

    /// Waits until `text` is gone from the screen.
    pub fn wait_for_absent(&self, text: &str) -> String {
        self.wait_until(|s| !s.contains(text), &format!("lost {text:?}"))
    }

    fn wait_until(&self, done: impl Fn(&str) -> bool, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if done(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("the screen never {what}:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        self.run(&args);
        std::thread::sleep(Duration::from_millis(250));
    }

    /// The process id of the shell in the pane.
    pub fn pane_pid(&self) -> String {
        self.query("#{pane_pid}")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}
