//! Connections per peer: one address may hold only so many of a port's
//! connections, so a peer that opens many and trickles their headers
//! cannot take the slots every other client needs.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The connections each peer address holds open on one port.
#[derive(Clone, Default)]
pub(crate) struct Peers {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One open connection of a peer, counted until it is dropped.
pub(crate) struct PeerSlot {
    peers: Peers,
    ip: IpAddr,
}

impl Peers {
    /// A slot for one more connection from `ip`, unless it holds `max`
    /// already. An IPv4 address mapped into IPv6 counts as itself.
    pub(crate) fn admit(&self, ip: IpAddr, max: usize) -> Option<PeerSlot> {
        let ip = ip.to_canonical();
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_insert(0);
        if *count >= max.max(1) {
            return None;
        }
        *count += 1;
        Some(PeerSlot { peers: self.clone(), ip })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut open = self.peers.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_holds_at_most_its_share_and_gets_slots_back() {
        let peers = Peers::default();
        let one: IpAddr = "127.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        let first = peers.admit(one, 2).expect("a first slot");
        let _second = peers.admit(mapped, 2).expect("a second slot, the same peer");
        assert!(peers.admit(one, 2).is_none(), "no third");
        assert!(peers.admit(other, 2).is_some(), "another peer is not affected");
        drop(first);
        assert!(peers.admit(one, 2).is_some(), "a closed connection gives its slot back");
    }
}
