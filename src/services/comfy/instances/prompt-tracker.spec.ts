import { PromptTracker } from './prompt-tracker';

describe(PromptTracker.name, () => {
  it('should route messages by prompt id, end a prompt on executing node null, and give previews to the running prompt', async () => {
    const tracker = new PromptTracker();
    const events = tracker.watch('p1');
    const other = tracker.watch('p2');
    tracker.accepted('p1', 'a');
    tracker.onMessage('a', { type: 'execution_start', data: { prompt_id: 'p1' } });
    tracker.onMessage('a', { type: 'progress', data: { prompt_id: 'p1', node: '3', value: 1, max: 2 } });
    tracker.onPreview('a', Buffer.from('png'), 'image/png');
    tracker.onMessage('a', { type: 'executing', data: { prompt_id: 'p1', node: null } });
    tracker.onMessage('a', {
      type: 'execution_error',
      data: { prompt_id: 'p2', node_id: '8', node_type: 'VAEDecode', exception_message: 'boom', exception_type: 'E' },
    });
    const signal = new AbortController().signal;
    const kinds = [];
    for (let i = 0; i < 4; i++) kinds.push((await events.next(signal)).kind);
    expect(kinds).toEqual(['started', 'progress', 'preview', 'done']);
    expect(await other.next(signal)).toEqual({ kind: 'failed', node: '8', nodeType: 'VAEDecode', message: 'boom' });
    expect(tracker.promptsOn('a')).toEqual(['p1']);
    expect(tracker.runningOn('a')).toBeUndefined();
  });

  it('should reject a waiting reader when its signal aborts', async () => {
    const tracker = new PromptTracker();
    const events = tracker.watch('p');
    const ctl = new AbortController();
    const next = events.next(ctl.signal);
    ctl.abort(new Error('cancelled'));
    await expect(next).rejects.toThrow('cancelled');
  });
});
