import { describe, expect, it } from 'vitest';
import {
  type BrokerPolicy,
  authenticateClient,
  isReservedClientId,
  mayPublish,
  mayReceive,
  maySubscribe,
} from './broker-rules.js';

const policy: BrokerPolicy = {
  ingestor: { username: 'sck-ingest', password: 'p4ss-w0rd', clientIdPrefix: 'sck-ingest' },
};

describe('authenticateClient', () => {
  it('admits a kit as the firmware connects: client id = token, no credentials', () => {
    expect(authenticateClient(policy, { clientId: 'abc123' })).toEqual({ allowed: true, role: 'device' });
    expect(authenticateClient(policy, { clientId: '123456', username: '', password: null })).toEqual({
      allowed: true,
      role: 'device',
    });
  });

  it('admits the ingestor with its username and password (string or bytes)', () => {
    for (const password of ['p4ss-w0rd', Buffer.from('p4ss-w0rd')]) {
      expect(
        authenticateClient(policy, { clientId: 'sck-ingest-0', username: 'sck-ingest', password }),
      ).toEqual({ allowed: true, role: 'ingestor' });
    }
  });

  it.each([
    ['wrong password', { clientId: 'sck-ingest-0', username: 'sck-ingest', password: 'guess' }],
    ['prefix of the password', { clientId: 'x', username: 'sck-ingest', password: 'p4ss' }],
    ['no password', { clientId: 'sck-ingest-0', username: 'sck-ingest' }],
    ['unknown user', { clientId: 'abc', username: 'admin', password: 'p4ss-w0rd' }],
  ])('refuses credentials that are not the ingestor’s: %s', (_name, attempt) => {
    expect(authenticateClient(policy, attempt)).toEqual({ allowed: false, reason: 'bad_credentials' });
  });

  it('admits nobody under the ingestor’s name while its password is unset', () => {
    const unset = { ingestor: { ...policy.ingestor, password: '' } };
    expect(authenticateClient(unset, { clientId: 'x', username: 'sck-ingest', password: '' }).allowed).toBe(
      false,
    );
  });

  it.each(['sck-ingest', 'sck-ingest-0', 'sck-ingest-15', 'sck-ingest-1-3'])(
    'keeps anonymous clients off the ingestor’s client id %s',
    (clientId) => {
      expect(authenticateClient(policy, { clientId })).toEqual({
        allowed: false,
        reason: 'reserved_client_id',
      });
      expect(isReservedClientId(policy, clientId)).toBe(true);
    },
  );

  it('does not reserve ids that merely contain the prefix', () => {
    expect(isReservedClientId(policy, 'my-sck-ingest-0')).toBe(false);
  });
});

describe('mayPublish', () => {
  it.each([
    'device/sck/abc123/readings',
    'device/sck/abc123/readings/raw',
    'device/sck/abc123/hello',
    'device/sck/abc123/info',
    '$queue/device/sck/abc123/readings/raw',
    'device/inventory',
    '$queue/device/inventory',
  ])('a device publishes to its own topic %s', (topic) => {
    expect(mayPublish('device', 'abc123', topic)).toBe(true);
  });

  it.each([
    'device/sck/other1/readings/raw',
    'device/sck/abc1234/readings/raw',
    'device/sck/abc12/readings/raw',
    'device/sck/abc123',
    'device/sck/abc123/',
    'device/sck/abc123/status',
    'device/sck/abc123/readings/raw/x',
    'device/sck/+/readings',
    'device/inventory/x',
    'sck/v1/devices/1/readings',
    '$share/g/device/sck/abc123/readings',
    'bridge/device/sck/abc123/readings',
    '$SYS/broker/x',
    'anything',
  ])('a device may not publish to %s', (topic) => {
    expect(mayPublish('device', 'abc123', topic)).toBe(false);
  });

  it.each(['a/b', 'a+', '#', ''])(
    'a client id %j that is no token level publishes nowhere under device/sck',
    (id) => {
      expect(mayPublish('device', id, `device/sck/${id}/readings`)).toBe(false);
      expect(mayPublish('device', id, 'device/inventory')).toBe(true);
    },
  );

  it('a client id holding a "/" cannot publish under the token before it', () => {
    expect(mayPublish('device', 'abc123/readings', 'device/sck/abc123/readings/raw')).toBe(false);
    expect(mayPublish('device', 'abc123/readings', 'device/sck/abc123/readings/readings')).toBe(false);
  });

  it('the ingestor publishes anywhere, the public tree included', () => {
    expect(mayPublish('ingestor', 'sck-ingest-0', 'sck/v1/devices/1/readings')).toBe(true);
    expect(mayPublish('ingestor', 'sck-ingest-0', 'device/sck/abc/readings')).toBe(true);
  });
});

describe('maySubscribe and mayReceive', () => {
  it.each(['sck/v1/#', 'sck/v1/devices/+/readings', 'sck/v1/devices/12/readings'])(
    'a device may read the public tree: %s',
    (filter) => {
      expect(maySubscribe('device', filter)).toBe(true);
    },
  );

  it.each([
    '#',
    '+/#',
    'device/#',
    'device/sck/+/readings/raw',
    'device/sck/abc123/readings',
    'device/inventory',
    '$share/sck-ingest/device/sck/+/readings/raw',
    '$share/g/sck/v1/#',
    '$queue/device/sck/+/readings/raw',
    '$queue/#',
    '$SYS/#',
    'sck/#',
    'sck/v1',
    'sck/+/devices',
  ])('a device may not subscribe to %s', (filter) => {
    expect(maySubscribe('device', filter)).toBe(false);
  });

  it('the ingestor subscribes to device topics and its shares', () => {
    for (const filter of ['device/sck/+/readings/raw', '$share/sck-ingest/device/#', '$queue/device/#']) {
      expect(maySubscribe('ingestor', filter)).toBe(true);
    }
  });

  it('delivers only the public tree to devices', () => {
    expect(mayReceive('device', 'sck/v1/devices/1/readings')).toBe(true);
    expect(mayReceive('device', 'device/sck/abc/readings/raw')).toBe(false);
    expect(mayReceive('ingestor', 'device/sck/abc/readings/raw')).toBe(true);
  });
});
