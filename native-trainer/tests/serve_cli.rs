//! `lingbridge serve`: prints its address, serves files with the right types, refuses paths outside its folder.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).unwrap();
    out.push_str(&String::from_utf8_lossy(&bytes));
    out
}

#[test]
fn serves_the_page_folder_on_a_local_port() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<h1>hello</h1>").unwrap();
    std::fs::create_dir(dir.path().join("pkg")).unwrap();
    std::fs::write(dir.path().join("pkg/x.wasm"), b"\0asm").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lingbridge"))
        .args(["serve", "--dir", dir.path().to_str().unwrap(), "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _server = Server(child);
    let addr = line.split("http://").nth(1).unwrap().split('/').next().unwrap().to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");

    let index = get(&addr, "/");
    assert!(index.starts_with("HTTP/1.0 200") || index.starts_with("HTTP/1.1 200"), "{index}");
    assert!(index.contains("text/html") && index.contains("<h1>hello</h1>"));
    assert!(get(&addr, "/pkg/x.wasm").contains("application/wasm"));
    assert!(get(&addr, "/missing.js").contains(" 404 "));
    assert!(get(&addr, "/../../etc/passwd").contains(" 404 "));
}

#[test]
fn a_missing_folder_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_lingbridge"))
        .args(["serve", "--dir", "/nonexistent/www", "--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/www"));
}
