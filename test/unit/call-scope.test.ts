import { describe, expect, it } from 'vitest';
import { Metadata, MicroContext } from '../../lib/index.js';
import { currentCallContext, enableCallScope, runInCallScope } from '../../lib/nest/server/call-scope.js';

const context = new MicroContext({
  service: 's',
  endpoint: 'S.M',
  id: '1',
  metadata: new Metadata(),
  remote: '',
  local: '',
  contentType: 'application/json',
  deadline: Date.now() + 1_000,
});

describe('call scope', () => {
  it('costs nothing until a process makes calls, then carries the context across awaits', async () => {
    // A process that only answers: no AsyncLocalStorage, no context to inherit.
    expect(await runInCallScope(context, async () => currentCallContext())).toBeUndefined();
    enableCallScope();
    const seen = await runInCallScope(context, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentCallContext();
    });
    expect(seen).toBe(context);
    expect(currentCallContext()).toBeUndefined();
  });
});
