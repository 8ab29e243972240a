//! Event-based gateways (issue 14 item 2): the token waits at every message or timer catch
//! event after the gateway at once (one task row each, the instance counting a token per
//! wait); the first to happen — a message correlated, a timer fired — takes the token and the
//! other waits of the race are cancelled with what hangs on them (subscriptions, timers).

use super::walk::Effects;
use crate::model::Process;
use crate::store::InstanceRow;

impl Effects {
    /// The wait at `node` happened first: the other waits of its race, if it is in one, are
    /// cancelled when the batch is written, and their tokens go.
    pub(crate) fn win_race(
        &mut self,
        p: &Process,
        inst: &mut InstanceRow,
        node: &str,
        actor: &str,
    ) {
        let rivals = p.rivals_of(node);
        if rivals.is_empty() {
            return;
        }
        let losers: Vec<i64> = self
            .stored_open(inst.id)
            .filter(|(_, at)| rivals.contains(&at.as_str()))
            .map(|(task, _)| *task)
            .collect();
        for task in &losers {
            self.gone.insert(*task);
            self.cancels.push(*task);
        }
        inst.tokens -= losers.len() as i64;
        self.log(inst.id, node, "race_won", actor, Some(rivals.join(", ")));
    }
}
