import t from 'tap';
import { stateBackends } from '../../helpers/backends.js';
import { stateStoreContract } from '../../helpers/state-store-contract.js';

// One contract, every backend: the in-process store and real Redis behave the same.
for (const backend of stateBackends()) {
  t.test(`state store contract: ${backend.name}`, async (t) => {
    const store = await backend.open();
    t.teardown(() => store.close());
    stateStoreContract(t, store);
  });
}
