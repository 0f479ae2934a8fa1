//! `lingbridge serve`: a small static file server for the page, bound to a local address.
//! (A dedicated server rather than `python -m http.server` so `.wasm` gets `application/wasm` everywhere and
//! `make demo` needs nothing beyond what the project builds.)

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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
    serve(listener, Arc::new(root), LIMITS);
    Ok(())
}

/// What one client may cost the server. A page loads a handful of files; anything beyond these limits is a
/// broken or hostile client, and it must not hold threads, memory or the other visitors' answers.
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// Connections handled at once; more are answered 503 at once (each holds a thread).
    connections: usize,
    /// Time for a client to send its whole request head: a client that trickles bytes or never finishes is
    /// answered 408 and closed, whatever the pace of its single reads.
    head_deadline: Duration,
    /// Time one write may wait on a client that stopped reading.
    write_timeout: Duration,
}

const LIMITS: Limits = Limits { connections: 256, head_deadline: Duration::from_secs(10), write_timeout: Duration::from_secs(30) };

/// One thread per connection and one response per connection (`Connection: close`). Keep-alive is what made
/// a tiny_http-based version stall: with ~20 modules requested at once, Chromium occasionally left two
/// requests waiting forever on reused connections. A page's handful of files does not need connection reuse.
fn serve(listener: TcpListener, root: Arc<PathBuf>, limits: Limits) {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(s) => s,
            // Out of file descriptors and the like: wait instead of spinning on the error.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        if active.load(Ordering::Acquire) >= limits.connections {
            busy(stream);
            continue;
        }
        active.fetch_add(1, Ordering::AcqRel);
        let slot = Slot(active.clone());
        let root = root.clone();
        // A thread that cannot start drops its slot and its connection inside the closure's drop.
        let _ = std::thread::Builder::new().name("serve".into()).spawn(move || {
            let _slot = slot;
            // A client that went away is not our error.
            let _ = handle(&root, stream, limits);
        });
    }
}

/// Frees a connection's place in the count, however its thread ends.
struct Slot(Arc<AtomicUsize>);
impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Over capacity: a 503 written without waiting (the accept loop must never block on a client).
fn busy(mut stream: TcpStream) {
    let _ = stream.set_nonblocking(true);
    let _ = stream.write_all(
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\nRetry-After: 1\r\nConnection: close\r\n\r\nbusy\n",
    );
}

const TEXT: &str = "text/plain; charset=utf-8";

/// Largest request head accepted (the page sends a few hundred bytes).
const MAX_HEAD: usize = 16 * 1024;

fn handle(root: &Path, mut stream: TcpStream, limits: Limits) -> std::io::Result<()> {
    stream.set_write_timeout(Some(limits.write_timeout))?;
    let deadline = Instant::now() + limits.head_deadline;
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return refuse(stream, 408, b"the request head took too long");
        }
        stream.set_read_timeout(Some(left))?;
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return refuse(stream, 408, b"the request head took too long");
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // Only the new bytes (and the 3 before them) can complete the blank line: no rescanning.
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        if head[from..].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
        if head.len() > MAX_HEAD {
            return refuse(stream, 431, b"request head too large");
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut request_line = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (request_line.next().unwrap_or_default(), request_line.next().unwrap_or_default());
    if method != "GET" && method != "HEAD" {
        return refuse(stream, 405, b"only GET and HEAD");
    }
    if !target.starts_with('/') {
        return refuse(stream, 400, b"the request target must be a path");
    }
    match respond(root, target) {
        Some((file, len, content_type)) => {
            write_head(&mut stream, 200, content_type, len)?;
            if method == "GET" {
                // Streamed: 200 clients fetching a 60 MB model must not mean 12 GB of buffers.
                std::io::copy(&mut file.take(len), &mut stream)?;
            }
            stream.flush()
        }
        None => {
            write_head(&mut stream, 404, TEXT, 9)?;
            if method == "GET" {
                stream.write_all(b"not found")?;
            }
            stream.flush()
        }
    }
}

/// An error answer to a request that may not have been read to its end. Closing a socket with unread input
/// makes the kernel send a reset, which can destroy the answer before the client reads it; so the write side
/// is shut first and what the client still sends is drained for a moment (bounded in time and bytes).
fn refuse(mut stream: TcpStream, status: u16, body: &[u8]) -> std::io::Result<()> {
    write_head(&mut stream, status, TEXT, body.len() as u64)?;
    stream.write_all(body)?;
    stream.flush()?;
    stream.shutdown(Shutdown::Write)?;
    stream.set_read_timeout(Some(Duration::from_millis(250)))?;
    let mut sink = [0u8; 4096];
    let start = Instant::now();
    let mut drained = 0usize;
    while drained < 1 << 20 && start.elapsed() < Duration::from_secs(1) {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
    Ok(())
}

fn write_head(stream: &mut TcpStream, status: u16, content_type: &str, len: u64) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    };
    // Always revalidate: the page and wasm change between builds; the page caches models itself.
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes())
}

/// The file a request target names, opened, with its length and type; `None` for anything not served.
fn respond(root: &Path, url: &str) -> Option<(File, u64, &'static str)> {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let file = resolve(root, path)?;
    let opened = File::open(&file).ok()?;
    let len = opened.metadata().ok()?.len();
    Some((opened, len, mime(&file)))
}

/// Maps a URL path to a file under `root`, refusing anything that climbs out of it.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    // Backslashes are separators to some clients and servers, NUL ends paths in C: neither names a page file.
    if decoded.contains(['\\', '\0']) {
        return None;
    }
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
mod tests;
