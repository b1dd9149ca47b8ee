//! An in-memory xenstored speaking the wire protocol.

use std::collections::BTreeMap;
use std::io;
use std::time::Duration;

use xs_wire::{Header, MsgType, Parser, HEADER_LEN};

use crate::xenbus::Transport;

pub struct FakeStore {
    pub nodes: BTreeMap<String, Vec<u8>>,
    /// The domain whose home relative paths resolve against.
    pub own_domid: u32,
    /// At most this many bytes per `recv`, to exercise reassembly.
    pub chunk: usize,
    /// Never answer (xenstored hung).
    pub silent: bool,
    /// Requests seen, as "TYPE path".
    pub log: Vec<String>,
    /// (path, value) of every write, by any client, in order.
    pub writes: Vec<(String, String)>,
    /// Plays a handshaking xenbell in domain N: answers each write of
    /// `data/xenbell/peer-state` there (3 -> guest-state 4, 5/6 -> 2).
    pub guest: Option<u32>,
    /// The scripted guest shuts down with this reason the first time the
    /// client looks for watch events without waiting while a session is
    /// open (a quiet moment mid-run).
    pub leave_when_polled: Option<&'static str>,
    /// (path, token) of the watches set.
    watches: Vec<(String, String)>,
    outbox: Vec<u8>,
}

impl FakeStore {
    pub fn new() -> FakeStore {
        FakeStore {
            nodes: BTreeMap::new(),
            own_domid: 0,
            chunk: 5,
            silent: false,
            log: Vec::new(),
            writes: Vec::new(),
            guest: None,
            leave_when_polled: None,
            watches: Vec::new(),
            outbox: Vec::new(),
        }
    }

    /// A handshaking guest `id` (named `name`) offering `port`, in state 2.
    pub fn with_guest(mut self, id: u32, name: &str, port: u32) -> FakeStore {
        self = self.with_domain(id, name);
        self.set(&format!("/local/domain/{id}/data/xenbell/port"), &port.to_string());
        self.set(&format!("/local/domain/{id}/data/xenbell/guest-state"), "2");
        self.guest = Some(id);
        self
    }

    /// Writes `path` as another client would: watches fire.
    pub fn write_as_other(&mut self, path: &str, value: &str) {
        self.set(path, value);
        self.writes.push((path.to_string(), value.to_string()));
        self.fire(path);
    }

    /// The values written to `path`, in order.
    pub fn written(&self, path: &str) -> Vec<&str> {
        self.writes.iter().filter(|(p, _)| p == path).map(|(_, v)| v.as_str()).collect()
    }

    /// Queues a watch event for every watch on `path` or a parent of it.
    fn fire(&mut self, path: &str) {
        let hits: Vec<(String, String)> =
            self.watches.iter().filter(|(w, _)| path == w || path.starts_with(&format!("{w}/"))).cloned().collect();
        for (_, token) in hits {
            let payload: Vec<u8> = path.bytes().chain([0]).chain(token.bytes()).chain([0]).collect();
            self.reply(MsgType::WatchEvent, 0, &payload);
        }
    }

    /// The scripted guest's answer to a write of `path`.
    fn guest_reacts(&mut self, path: &str, value: &[u8]) {
        let Some(id) = self.guest else { return };
        if path != format!("/local/domain/{id}/data/xenbell/peer-state") {
            return;
        }
        let state = match value {
            b"3" => "4",
            b"5" | b"6" => "2",
            _ => return,
        };
        self.write_as_other(&format!("/local/domain/{id}/data/xenbell/guest-state"), state);
    }

    /// Adds a domain with a `name` key, as the toolstack does.
    pub fn with_domain(mut self, id: u32, name: &str) -> FakeStore {
        self.set(&format!("/local/domain/{id}/name"), name);
        self.set(&format!("/local/domain/{id}/domid"), &id.to_string());
        self
    }

    pub fn set(&mut self, path: &str, value: &str) {
        self.nodes.insert(path.to_string(), value.as_bytes().to_vec());
    }

    pub fn get(&self, path: &str) -> Option<String> {
        self.nodes.get(path).map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// Queues raw bytes as if xenstored sent them unasked (a watch event).
    pub fn inject(&mut self, ty: MsgType, payload: &[u8]) {
        self.reply(ty, 0, payload);
    }

    fn absolute(&self, path: &str) -> String {
        if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/local/domain/{}/{path}", self.own_domid)
        }
    }

    fn exists(&self, path: &str) -> bool {
        let prefix = format!("{path}/");
        self.nodes.contains_key(path) || self.nodes.keys().any(|k| k.starts_with(&prefix))
    }

    fn reply(&mut self, ty: MsgType, req_id: u32, payload: &[u8]) {
        self.outbox.extend(Header::message(ty, req_id, payload));
    }

    fn handle(&mut self, header: Header, payload: &[u8]) {
        let first_nul = payload.iter().position(|&b| b == 0).unwrap_or(payload.len());
        let path = self.absolute(&String::from_utf8_lossy(&payload[..first_nul]));
        let rest = payload.get(first_nul + 1..).unwrap_or(&[]);
        self.log.push(format!("{:?} {path}", header.ty));
        let id = header.req_id;
        match header.ty {
            MsgType::Read if self.nodes.contains_key(&path) => {
                let value = self.nodes[&path].clone();
                self.reply(MsgType::Read, id, &value);
            }
            MsgType::Read if self.exists(&path) => self.reply(MsgType::Read, id, b""),
            MsgType::Write => {
                self.nodes.insert(path.clone(), rest.to_vec());
                self.writes.push((path.clone(), String::from_utf8_lossy(rest).into_owned()));
                self.reply(MsgType::Write, id, b"OK\0");
                self.fire(&path);
                self.guest_reacts(&path, rest);
            }
            MsgType::Watch => {
                let token = String::from_utf8_lossy(rest).trim_end_matches('\0').to_string();
                self.watches.push((path.clone(), token));
                self.reply(MsgType::Watch, id, b"OK\0");
                // xenstored fires a new watch once at once.
                self.fire(&path);
            }
            MsgType::Unwatch => {
                let token = String::from_utf8_lossy(rest).trim_end_matches('\0').to_string();
                self.watches.retain(|w| *w != (path.clone(), token.clone()));
                self.reply(MsgType::Unwatch, id, b"OK\0");
            }
            MsgType::Mkdir => {
                if !self.exists(&path) {
                    self.nodes.insert(path, Vec::new());
                }
                self.reply(MsgType::Mkdir, id, b"OK\0");
            }
            MsgType::Rm => {
                let prefix = format!("{path}/");
                self.nodes.retain(|k, _| *k != path && !k.starts_with(&prefix));
                self.reply(MsgType::Rm, id, b"OK\0");
                self.fire(&path);
            }
            MsgType::Directory if self.exists(&path) => {
                let prefix = format!("{path}/");
                let mut names: Vec<&str> = self
                    .nodes
                    .keys()
                    .filter_map(|k| k.strip_prefix(&prefix))
                    .map(|rest| rest.split('/').next().unwrap_or(rest))
                    .collect();
                names.dedup();
                let payload: Vec<u8> = names.iter().flat_map(|n| n.bytes().chain([0])).collect();
                self.reply(MsgType::Directory, id, &payload);
            }
            MsgType::GetDomainPath => {
                let domid = String::from_utf8_lossy(&payload[..first_nul]).into_owned();
                self.reply(MsgType::GetDomainPath, id, format!("/local/domain/{domid}\0").as_bytes());
            }
            MsgType::Read | MsgType::Directory => self.reply(MsgType::Error, id, b"ENOENT\0"),
            _ => self.reply(MsgType::Error, id, b"EINVAL\0"),
        }
    }
}

impl Transport for FakeStore {
    fn send(&mut self, message: &[u8]) -> io::Result<()> {
        let mut parser = Parser::new();
        let (used, msg) =
            parser.push(message).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let msg = msg.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "partial message"))?;
        assert_eq!(used, message.len(), "one message per send");
        assert_eq!(msg.payload.len() + HEADER_LEN, message.len());
        let (header, payload) = (msg.header, msg.payload.to_vec());
        if !self.silent {
            self.handle(header, &payload);
        }
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        if let (Some(id), Some(why), true) = (self.guest, self.leave_when_polled, timeout.is_zero()) {
            let home = format!("/local/domain/{id}/data/xenbell");
            if self.get(&format!("{home}/guest-state")).as_deref() == Some("4") {
                self.leave_when_polled = None;
                self.set(&format!("{home}/leaving"), why);
                self.write_as_other(&format!("{home}/guest-state"), "5");
            }
        }
        if self.outbox.is_empty() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        let n = self.chunk.min(buf.len()).min(self.outbox.len());
        buf[..n].copy_from_slice(&self.outbox[..n]);
        self.outbox.drain(..n);
        Ok(n)
    }
}
