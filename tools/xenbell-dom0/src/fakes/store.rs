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
    outbox: Vec<u8>,
}

impl FakeStore {
    pub fn new() -> FakeStore {
        FakeStore { nodes: BTreeMap::new(), own_domid: 0, chunk: 5, silent: false, log: Vec::new(), outbox: Vec::new() }
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
                self.nodes.insert(path, rest.to_vec());
                self.reply(MsgType::Write, id, b"OK\0");
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

    fn recv(&mut self, buf: &mut [u8], _timeout: Duration) -> io::Result<usize> {
        if self.outbox.is_empty() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        let n = self.chunk.min(buf.len()).min(self.outbox.len());
        buf[..n].copy_from_slice(&self.outbox[..n]);
        self.outbox.drain(..n);
        Ok(n)
    }
}
