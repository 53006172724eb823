// The live-call view the admin page and /api/calls show: call control's state plus
// metering's figures, computed at the moment they are asked for.
import type { Clock } from '../clock.ts';
import type { Meter } from '../metering/index.ts';
import { amountString } from '../money/index.ts';
import type { Switchboard } from '../calls/switchboard.ts';
import type { Config } from '../store/index.ts';
import type { LiveCall, Supervision } from '../web/appliance.ts';

export function supervisionOf(board: Switchboard, meter: Meter, clock: Clock, config: () => Config): Supervision {
  return {
    list(): LiveCall[] {
      const now = clock.now();
      const price = config().unitPrice;
      return board.sessionsList().map((s) => {
        const credit = s.userId ? Math.max(0, meter.available(s.userId, now)) : null;
        const used = meter.consumption(s.callId, now);
        return {
          callId: s.callId,
          caller: s.from,
          status: s.status,
          user: s.userId,
          creditUnits: credit,
          creditAmount: credit === null ? null : amountString(credit, price),
          dialed: s.dialed,
          rate: meter.rateOf(s.callId, now),
          // the seconds the consumption pays for (a started second is billed), as on the seed's
          // screen where consumption = duration × rate
          duration: s.connectedAt === null ? 0 : Math.max(0, Math.ceil((now - s.connectedAt) / 1000)),
          consumptionUnits: used,
          consumptionAmount: amountString(used, price),
        };
      });
    },
    hasLiveCall: (userId) => board.hasLiveCall(userId),
    onChange: (fn) => board.onChange(fn),
  };
}
