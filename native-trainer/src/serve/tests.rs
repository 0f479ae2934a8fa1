//! The server against hostile paths and clients, on 127.0.0.1 with bounded waits: every read has a timeout, so
//! a server that blocked would fail these tests instead of hanging them.

use super::*;

fn root_with_files() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("www");
    std::fs::create_dir(&root).unwrap();
    let root = root.canonicalize().unwrap();
    std::fs::write(root.join("index.html"), "<p>hi</p>").unwrap();
    std::fs::write(root.join("app.js"), "export const x = 1;").unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside").unwrap();
    (dir, root)
}

fn start(root: PathBuf, limits: Limits) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || serve(listener, Arc::new(root), limits));
    addr
}

fn connect(addr: std::net::SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    stream
}

/// Everything the server sends until it closes the connection.
fn read_all(mut stream: TcpStream) -> String {
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = connect(addr);
    // A server over capacity answers and closes before reading: the write may then fail, the answer is still read.
    let _ = write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
    read_all(stream)
}

#[test]
fn never_serves_outside_the_root() {
    let (dir, root) = root_with_files();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.txt")).unwrap();
    std::os::unix::fs::symlink(dir.path(), root.join("up")).unwrap();
    std::os::unix::fs::symlink(root.join("app.js"), root.join("alias.js")).unwrap();
    assert_eq!(resolve(&root, "/"), Some(root.join("index.html")));
    assert_eq!(resolve(&root, "/index.html"), Some(root.join("index.html")));
    assert_eq!(resolve(&root, "/alias.js"), Some(root.join("app.js")), "a link that stays inside is served");
    // What counts is where a path really lands: out through a link and back in is inside.
    assert_eq!(resolve(&root, "/up/www/index.html"), Some(root.join("index.html")));
    for hostile in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/.%2e/secret.txt",
        "/%252e%252e/secret.txt",
        "/sub/../../secret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "//../secret.txt",
        "/index.html%00.js",
        "/link.txt",
        "/up/secret.txt",
        "/sub",
        "/missing.js",
        "/%zz",
        "/%",
        "/%e9",
    ] {
        assert_eq!(resolve(&root, hostile), None, "{hostile}");
    }
}

#[test]
fn answers_200_concurrent_connections_and_closes_each() {
    let (_dir, root) = root_with_files();
    let addr = start(root, LIMITS);
    // All 200 open before any request is written: the server holds them at once.
    let streams: Vec<TcpStream> = (0..200).map(|_| connect(addr)).collect();
    let readers: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            let path = if i % 2 == 0 { "/app.js?v=1" } else { "/" };
            write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            std::thread::spawn(move || read_all(s))
        })
        .collect();
    for (i, r) in readers.into_iter().enumerate() {
        // read_to_end returning at all shows the connection was closed after one response.
        let response = r.join().unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "connection {i}: {response}");
        assert!(response.contains("Connection: close\r\n"));
        if i % 2 == 0 {
            assert!(response.contains("Content-Type: text/javascript"));
            assert!(response.ends_with("\r\n\r\nexport const x = 1;"));
        } else {
            assert!(response.ends_with("<p>hi</p>"));
        }
    }
    assert!(get(addr, "/missing.js").starts_with("HTTP/1.1 404 Not Found"));
    assert!(get(addr, "/../secret.txt").starts_with("HTTP/1.1 404"));
    assert!(get(addr, "/%5c..%5csecret.txt").starts_with("HTTP/1.1 404"));
}

#[test]
fn refuses_huge_request_lines_and_headers_and_odd_requests() {
    let (_dir, root) = root_with_files();
    let addr = start(root, LIMITS);
    let send = |request: Vec<u8>| {
        let mut s = connect(addr);
        let mut writer = s.try_clone().unwrap();
        // The server answers before the client has sent everything: write from another thread.
        let w = std::thread::spawn(move || {
            let _ = writer.write_all(&request);
        });
        let mut bytes = Vec::new();
        let _ = s.read_to_end(&mut bytes);
        w.join().unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let long_line = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(100_000));
    assert!(send(long_line.into_bytes()).starts_with("HTTP/1.1 431 "));
    let long_header = format!("GET / HTTP/1.1\r\nX-Junk: {}\r\n\r\n", "b".repeat(1_000_000));
    assert!(send(long_header.into_bytes()).starts_with("HTTP/1.1 431 "));
    let many_headers: String = std::iter::once("GET / HTTP/1.1\r\n".to_string()).chain((0..10_000).map(|i| format!("X-{i}: y\r\n"))).collect();
    assert!(send(many_headers.into_bytes()).starts_with("HTTP/1.1 431 "));
    assert!(send(b"POST / HTTP/1.1\r\n\r\n".to_vec()).starts_with("HTTP/1.1 405 "));
    assert!(send(b"GET http://evil/ HTTP/1.1\r\n\r\n".to_vec()).starts_with("HTTP/1.1 400 "));
    assert!(send(b"\r\n\r\n".to_vec()).starts_with("HTTP/1.1 405 "));
    assert!(send(b"\xff\xfe\0\0 garbage\r\n\r\n".to_vec()).starts_with("HTTP/1.1 405 "));
    let head = send(b"HEAD /app.js HTTP/1.1\r\n\r\n".to_vec());
    assert!(head.starts_with("HTTP/1.1 200 ") && head.contains("Content-Length: 19\r\n") && head.ends_with("\r\n\r\n"), "{head}");
    // The server still answers after all that.
    assert!(get(addr, "/").ends_with("<p>hi</p>"));
}

#[test]
fn slow_clients_do_not_block_others_and_are_cut_off() {
    let (_dir, root) = root_with_files();
    let limits = Limits { head_deadline: Duration::from_millis(800), ..LIMITS };
    let addr = start(root, limits);
    // Clients that start a request and never finish it.
    let stalled: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(b"GET / HT").unwrap();
            s
        })
        .collect();
    // A client that keeps sending, one byte at a time, never reaching the blank line.
    let mut trickle = connect(addr);
    let trickler = std::thread::spawn(move || {
        for _ in 0..60 {
            if trickle.write_all(b"X").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        read_all(trickle)
    });
    // Everyone else is answered meanwhile.
    for _ in 0..5 {
        assert!(get(addr, "/app.js").ends_with("export const x = 1;"));
    }
    for s in stalled {
        let answer = read_all(s);
        assert!(answer.starts_with("HTTP/1.1 408 Request Timeout"), "{answer}");
    }
    let answer = trickler.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "a trickling client is cut at the deadline too: {answer}");
}

#[test]
fn over_capacity_is_answered_503_and_capacity_comes_back() {
    let (_dir, root) = root_with_files();
    let limits = Limits { connections: 2, head_deadline: Duration::from_millis(1500), ..LIMITS };
    let addr = start(root, limits);
    let held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(b"GET /").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // Answered at once, before any request is sent (so the close is clean, with nothing unread to reset it).
    let refused = read_all(connect(addr));
    assert!(refused.starts_with("HTTP/1.1 503 Service Unavailable") && refused.contains("Retry-After: 1"), "{refused}");
    drop(held);
    // The held slots are freed when their clients leave (or at the head deadline).
    let mut answer = String::new();
    for _ in 0..50 {
        answer = get(addr, "/");
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(answer.ends_with("<p>hi</p>"), "{answer}");
}
