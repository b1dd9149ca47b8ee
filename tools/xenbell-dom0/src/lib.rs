//! xenbell-dom0: the dom0 side of xenbell's event-channel ping-pong.
//!
//! Linux only: `/dev/xen/evtchn` for event channels, `/dev/xen/xenbus` for
//! xenstore, `/dev/xen/privcmd` for `status`. The commands are written against
//! the [`channel::EventChannel`] and [`xenbus::Transport`] traits so that host
//! tests can drive them with fakes; [`app`] wires in the real devices.

pub mod app;
pub mod channel;
pub mod cli;
pub mod cmd;
pub mod domain;
pub mod evtchn_dev;
pub mod failure;
pub mod follow;
pub mod gntdev;
pub mod guest;
pub mod ioctl;
pub mod json;
pub mod poll;
pub mod privcmd;
pub mod progress;
pub mod signals;
pub mod stats;
pub mod xenbus;

#[cfg(test)]
mod fakes;
