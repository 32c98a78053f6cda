import { eventually } from '@boxoffice/testing/eventually';
import { openOtlpReceiver, type OtlpReceiver } from '@boxoffice/testing/otlp-receiver';
import type { ServiceProcess } from '@boxoffice/testing/service-process';
import { openTestCorner, type TestCorner } from '@boxoffice/testing/test-corner';
import { AS_ADMIN } from '@boxoffice/testing/test-tokens';

const CALLER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };

describe('OTLP export (e2e: inventory as a real process, started as main.ts does)', () => {
  let corner: TestCorner;
  let receiver: OtlpReceiver;
  let inventory: ServiceProcess;

  beforeAll(async () => {
    corner = await openTestCorner('otlp');
    receiver = await openOtlpReceiver();
    corner.defer(() => receiver.close());
    inventory = await corner.startProcess('inventory', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_SERVICE_NAME: 'inventory-under-test',
    });
  });
  afterAll(() => corner?.dispose());

  it('given OTEL_EXPORTER_OTLP_ENDPOINT, when a request with a traceparent is served and the service stops, then its span reaches the endpoint as the caller’s child, and the health probes left none', async () => {
    await inventory
      .http()
      .put('/events/otlp-gig')
      .set(AS_ADMIN)
      .set('traceparent', `00-${CALLER.traceId}-${CALLER.spanId}-01`)
      .send({ name: 'Gig', totalStock: 5, unitPrice: 4200, currency: 'EUR' })
      .expect(201);

    // SIGTERM: the batch still waiting is sent as the HTTP app closes, not lost with the process.
    await inventory.stop();

    const served = await eventually(() =>
      receiver.spans().find((span) => span.name === 'PUT /events/:eventId'),
    );
    expect(served).toEqual({
      service: 'inventory-under-test',
      name: 'PUT /events/:eventId',
      traceId: CALLER.traceId,
      spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
      parentSpanId: CALLER.spanId,
    });
    // The start polled GET /health: probes make no traces.
    expect(receiver.spans().map((span) => span.name)).toEqual(['PUT /events/:eventId']);
  });
});
