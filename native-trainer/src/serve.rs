//! `lingbridge serve`: a small static file server for the page, bound to a local address.
//! (A dedicated server rather than `python -m http.server` so `.wasm` gets `application/wasm` everywhere and
//! `make demo` needs nothing beyond what the project builds.)

use std::path::{Component, Path, PathBuf};

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
    let server = tiny_http::Server::http((args.host.as_str(), args.port))
        .map_err(|e| anyhow!("cannot listen on {}:{}: {e}", args.host, args.port))?;
    let addr = server.server_addr().to_ip().ok_or_else(|| anyhow!("not an IP address"))?;
    println!("Serving {} on http://{addr}/  (Ctrl-C stops)", root.display());
    use std::io::Write;
    std::io::stdout().flush()?;
    for request in server.incoming_requests() {
        let response = respond(&root, request.url());
        // A client that went away is not our error.
        let _ = request.respond(response);
    }
    Ok(())
}

fn respond(root: &Path, url: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let Some(file) = resolve(root, path) else {
        return text(404, "not found");
    };
    match std::fs::read(&file) {
        Ok(bytes) => {
            let mut r = tiny_http::Response::from_data(bytes).with_header(header("Content-Type", mime(&file)));
            // Always revalidate: the page and wasm change between builds; the page caches models itself.
            r.add_header(header("Cache-Control", "no-cache"));
            r
        }
        Err(_) => text(404, "not found"),
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
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header is valid")
}

fn text(code: u16, body: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    tiny_http::Response::from_string(body).with_status_code(code).with_header(header("Content-Type", "text/plain; charset=utf-8"))
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
}
