//! martin, the tile server the project's tiles are checked against: where its binary is, and a
//! plain HTTP/1.0 GET of one of its tiles.

use std::io::{Read, Write};
use std::process::Command;

/// Finds a martin binary: `MARTIN_BIN`, `/opt/martin/bin/martin`, or `martin` on the PATH.
pub fn binary() -> Option<String> {
    let candidates = [
        std::env::var("MARTIN_BIN").ok(),
        Some("/opt/martin/bin/martin".into()),
        Some("martin".into()),
    ];
    candidates.into_iter().flatten().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

pub fn http_get(port: u16, path: &str) -> (u16, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect martin");
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n\r\n"
    )
    .expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read");
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers")
        + 4;
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, buf[split..].to_vec())
}

/// A martin process, stopped when dropped.
pub struct Martin {
    child: std::process::Child,
    pub port: u16,
}

impl Drop for Martin {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Starts martin (`binary`) with `args` and environment `env` on a free loopback port, and
/// waits until it listens.
pub fn start(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Martin {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let child = Command::new(binary)
        .args(args)
        .args(["--listen-addresses", &format!("127.0.0.1:{port}")])
        // A config file's `listen_addresses` reads it (tiles/martin.yaml).
        .env("MARTIN_LISTEN", format!("127.0.0.1:{port}"))
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start martin");
    let martin = Martin { child, port };
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed().as_secs() < 60, "martin did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    martin
}
