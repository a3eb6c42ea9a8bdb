import t from 'tap';
import { ReplyError } from 'ioredis';
import { translated } from '../../../src/store/redis/redis-state-store.js';
import { StoreUnavailable } from '../../../src/store/unavailable.js';

// Which Redis failures are an outage (503, "try again") and which are our bug (500).
const outage = [
  'LOADING Redis is loading the dataset in memory',
  'READONLY You can\'t write against a read only replica.',
  'MASTERDOWN Link with MASTER is down',
  'TRYAGAIN Multiple keys request during rehashing of slot',
  'CLUSTERDOWN The cluster is down',
  'MOVED 16126 127.0.0.1:43699',
  'ASK 3999 127.0.0.1:6381',
];
for (const message of outage) {
  t.test(`reply ${message.split(' ')[0]}: unavailable`, async (t) => {
    t.type(translated(new ReplyError(message)), StoreUnavailable);
  });
}

t.test('a connection failure: unavailable', async (t) => {
  t.type(translated(new Error('Connection is closed.')), StoreUnavailable);
});

for (const message of ['WRONGTYPE Operation against a key holding the wrong kind of value', 'ERR Error running script', 'MOVEDX not a redirect']) {
  t.test(`reply ${message.split(' ')[0]}: a bug, passed on unchanged`, async (t) => {
    const error = new ReplyError(message);
    t.equal(translated(error), error);
  });
}
