// Child process of store.crash.test.ts: writes, reports what flushed() acknowledged, then keeps
// writing (credits and settlements) until the parent kills it with SIGKILL.
import { Store } from './store.ts';
import { openCallOf, settlementOf } from './test-support.ts';

const T0 = 1_700_000_000_000;
const store = Store.open(process.argv[2]);
store.createUser({ id: '1001', name: 'A', pin: '1234' });
store.credit('1001', 1_000_000, T0);
for (let i = 0; i < 100; i++) {
  store.journal(openCallOf(`ACK${i}`, '1001'));
  store.settle(settlementOf(`ACK${i}`, '1001', 100, T0 + 1000 + i));
}
await store.flushed();
const acked = { units: store.user('1001')!.units, ledger: store.ledger('1001'), cdrs: store.cdrs({ limit: 1000 }).cdrs };
process.stdout.write(`FLUSHED ${JSON.stringify(acked)}\n`);

let i = 0;
let rounds = 0;
const loop = (): void => {
  for (let k = 0; k < 20; k++, i++) {
    store.journal(openCallOf(`X${i}`, '1001'));
    if (i % 3 === 0) store.credit('1001', 7, T0 + 10_000 + i);
    else store.settle(settlementOf(`X${i}`, '1001', 300, T0 + 10_000 + i));
  }
  if (++rounds === 50) process.stdout.write('WRITING\n');
  setImmediate(loop);
};
loop();
