//! `lingbridge serve`: a small static file server for the page, bound to a local address.
//! (A dedicated server rather than `python -m http.server` so `.wasm` gets `application/wasm` everywhere and
//! `make demo` needs nothing beyond what the project builds.)

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};

#[derive(clap::Args)]
pub struct Args {
    /// Folder to serve.
    #[arg(long, default_value = "www")]
    dir: PathBuf,
    /// Address to bind (keep it local).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port; 0 picks a free one (the address is printed either way).
    #[arg(long, default_value_t = 8080)]
    port: u16,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let root = args.dir.canonicalize().with_context(|| format!("{}: cannot serve a folder that is not there", args.dir.display()))?;
    let listener = TcpListener::bind((args.host.as_str(), args.port))
        .map_err(|e| anyhow!("cannot listen on {}:{}: {e}", args.host, args.port))?;
    println!("Serving {} on http://{}/  (Ctrl-C stops)", root.display(), listener.local_addr()?);
    std::io::stdout().flush()?;
    serve(listener, Arc::new(root));
    Ok(())
}

/// One thread per connection and one response per connection (`Connection: close`). Keep-alive is what made
/// a tiny_http-based version stall: with ~20 modules requested at once, Chromium occasionally left two
/// requests waiting forever on reused connections. A page's handful of files does not need connection reuse.
fn serve(listener: TcpListener, root: Arc<PathBuf>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = root.clone();
        std::thread::spawn(move || {
            // A client that went away is not our error.
            let _ = handle(&root, stream);
        });
    }
}

const TEXT: &str = "text/plain; charset=utf-8";

/// Largest request head accepted (the page sends a few hundred bytes).
const MAX_HEAD: usize = 16 * 1024;

fn handle(root: &Path, mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&chunk[..n]);
        if head.len() > MAX_HEAD {
            return write_response(&mut stream, 431, TEXT, b"request head too large", true);
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut request_line = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (request_line.next().unwrap_or_default(), request_line.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        return write_response(&mut stream, 405, TEXT, b"only GET and HEAD", true);
    }
    let (status, content_type, body) = respond(root, target);
    write_response(&mut stream, status, content_type, &body, method == "GET")
}

fn write_response(stream: &mut TcpStream, status: u16, content_type: &str, body: &[u8], with_body: bool) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    };
    // Always revalidate: the page and wasm change between builds; the page caches models itself.
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if with_body {
        stream.write_all(body)?;
    }
    stream.flush()
}

fn respond(root: &Path, url: &str) -> (u16, &'static str, Vec<u8>) {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let not_found = (404, TEXT, b"not found".to_vec());
    let Some(file) = resolve(root, path) else { return not_found };
    match std::fs::read(&file) {
        Ok(bytes) => (200, mime(&file), bytes),
        Err(_) => not_found,
    }
}

/// Maps a URL path to a file under `root`, refusing anything that climbs out of it.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut path = root.to_path_buf();
    for c in Path::new(decoded.trim_start_matches('/')).components() {
        match c {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if path.is_dir() {
        path.push("index.html");
    }
    let real = path.canonicalize().ok()?;
    (real.starts_with(root) && real.is_file()).then_some(real)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" | "md" => TEXT,
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_serves_outside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("index.html"), "hi").unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        assert_eq!(resolve(&root, "/"), Some(root.join("index.html")));
        assert_eq!(resolve(&root, "/index.html"), Some(root.join("index.html")));
        assert_eq!(resolve(&root, "/../etc/passwd"), None);
        assert_eq!(resolve(&root, "/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve(&root, "/sub"), None, "a folder without index.html");
        assert_eq!(resolve(&root, "/missing.js"), None);
        assert_eq!(resolve(&root, "/%zz"), None);
    }

    fn get(addr: std::net::SocketAddr, path: &str) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n").unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn answers_many_parallel_requests_and_closes_each_connection() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("index.html"), "<p>hi</p>").unwrap();
        std::fs::write(root.join("app.js"), "export const x = 1;").unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || serve(listener, Arc::new(root)));
        let workers: Vec<_> = (0..24).map(|i| std::thread::spawn(move || get(addr, if i % 2 == 0 { "/app.js?v=1" } else { "/" }))).collect();
        for (i, w) in workers.into_iter().enumerate() {
            // read_to_string returning at all shows the connection was closed after one response.
            let response = w.join().unwrap();
            assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
            assert!(response.contains("Connection: close\r\n"));
            if i % 2 == 0 {
                assert!(response.contains("Content-Type: text/javascript"));
                assert!(response.ends_with("\r\n\r\nexport const x = 1;"));
            } else {
                assert!(response.ends_with("<p>hi</p>"));
            }
        }
        assert!(get(addr, "/missing.js").starts_with("HTTP/1.1 404 Not Found"));
        assert!(get(addr, "/../secret").starts_with("HTTP/1.1 404"));
    }
}
