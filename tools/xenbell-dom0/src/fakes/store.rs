//! An in-memory xenstored speaking the wire protocol.

use std::collections::BTreeMap;
use std::io;

use xs_wire::{Header, MsgType, Parser};

use crate::xenbus::Transport;

pub struct FakeStore {
    pub nodes: BTreeMap<String, Vec<u8>>,
    /// The domain whose home relative paths resolve against.
    pub own_domid: u32,
    /// At most this many bytes per `read`, to exercise reassembly.
    pub chunk: usize,
    /// Never answer (xenstored hung).
    pub silent: bool,
    /// Handle requests but keep the replies back until it is cleared (a slow
    /// xenstored: the replies come late).
    pub holding: bool,
    /// Requests seen, as "TYPE path", and their request ids.
    pub log: Vec<String>,
    pub req_ids: Vec<u32>,
    /// (path, value) of every write, by any client, in order.
    pub writes: Vec<(String, String)>,
    /// Plays a handshaking xenbell in domain N: answers each write of
    /// `data/xenbell/peer-state` there (3 -> guest-state 4, 5/6 -> 2).
    pub guest: Option<u32>,
    /// The scripted guest shuts down with this reason the first time the
    /// client looks for bytes when none are queued (it polls for watch
    /// events: a quiet moment mid-run) while a session is open.
    pub leave_when_polled: Option<&'static str>,
    /// (path, token) of the watches set.
    watches: Vec<(String, String)>,
    outbox: Vec<u8>,
    held: Vec<u8>,
    parser: Box<Parser>,
    /// The fake clock (ns): only waits move it, to their deadline.
    now: u64,
}

impl FakeStore {
    pub fn new() -> FakeStore {
        FakeStore {
            nodes: BTreeMap::new(),
            own_domid: 0,
            chunk: 5,
            silent: false,
            holding: false,
            log: Vec::new(),
            req_ids: Vec::new(),
            writes: Vec::new(),
            guest: None,
            leave_when_polled: None,
            watches: Vec::new(),
            outbox: Vec::new(),
            held: Vec::new(),
            parser: Box::new(Parser::new()),
            now: 0,
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

    /// The scripted guest leaves ([`FakeStore::leave_when_polled`]) if a
    /// session is open.
    fn maybe_leave(&mut self) {
        let (Some(id), Some(why)) = (self.guest, self.leave_when_polled) else { return };
        let home = format!("/local/domain/{id}/data/xenbell");
        if self.get(&format!("{home}/guest-state")).as_deref() == Some("4") {
            self.leave_when_polled = None;
            self.set(&format!("{home}/leaving"), why);
            self.write_as_other(&format!("{home}/guest-state"), "5");
        }
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

    /// Queues a message as if xenstored sent it unasked (a watch event).
    pub fn inject(&mut self, ty: MsgType, payload: &[u8]) {
        self.inject_reply(ty, 0, payload);
    }

    /// Queues a message for request id `req_id`, as if xenstored sent it.
    pub fn inject_reply(&mut self, ty: MsgType, req_id: u32, payload: &[u8]) {
        self.outbox.extend(Header::message(ty, req_id, payload));
    }

    /// Queues raw bytes (a broken xenstored).
    pub fn inject_bytes(&mut self, bytes: &[u8]) {
        self.outbox.extend_from_slice(bytes);
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
        self.release();
        let to = if self.holding { &mut self.held } else { &mut self.outbox };
        to.extend(Header::message(ty, req_id, payload));
    }

    /// Once no longer holding: the held replies go out, before any newer.
    fn release(&mut self) {
        if !self.holding {
            let held = std::mem::take(&mut self.held);
            self.outbox.extend(held);
        }
    }

    fn handle(&mut self, header: Header, payload: &[u8]) {
        let first_nul = payload.iter().position(|&b| b == 0).unwrap_or(payload.len());
        let path = self.absolute(&String::from_utf8_lossy(&payload[..first_nul]));
        let rest = payload.get(first_nul + 1..).unwrap_or(&[]);
        self.log.push(format!("{:?} {path}", header.ty));
        self.req_ids.push(header.req_id);
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

impl xs_client::Transport for FakeStore {
    type Error = io::Error;

    /// Takes any bytes; handles each request once it is whole.
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut got = Vec::new();
        self.parser
            .feed(bytes, |m| got.push((m.header, m.payload.to_vec())))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        for (header, payload) in got {
            if !self.silent {
                self.handle(header, &payload);
            }
        }
        Ok(bytes.len())
    }

    /// At most `chunk` bytes of what is queued, to exercise reassembly.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.release();
        // A request's reply is queued as soon as the request is whole, so a
        // read finding nothing queued (and nothing held) is a poll.
        if self.outbox.is_empty() && self.held.is_empty() {
            self.maybe_leave();
        }
        let n = self.chunk.min(buf.len()).min(self.outbox.len());
        buf[..n].copy_from_slice(&self.outbox[..n]);
        self.outbox.drain(..n);
        Ok(n)
    }

    /// Nothing changes while the client waits (the fake answers at once or
    /// never): the deadline comes.
    fn wait(&mut self, deadline_ns: u64) {
        self.now = self.now.max(deadline_ns);
    }

    fn now_ns(&self) -> u64 {
        self.now
    }
}

impl Transport for FakeStore {}
