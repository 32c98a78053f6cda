import type { ServiceProcess } from '@boxoffice/testing/service-process';
import { openTestCorner, type TestCorner } from '@boxoffice/testing/test-corner';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document, checked field by field
type OpenApi = any;

/** /docs of the order and inventory services as main.ts serves them (real processes), open to anyone. */
describe('OpenAPI at /docs and /docs/json (e2e, real processes)', () => {
  let corner: TestCorner;
  let inventory: ServiceProcess;
  let order: ServiceProcess;
  const docs: Record<'order' | 'inventory', OpenApi> = { order: undefined, inventory: undefined };

  beforeAll(async () => {
    corner = await openTestCorner('api_docs', { vhost: true });
    inventory = await corner.startProcess('inventory');
    order = await corner.startProcess('order', { INVENTORY_URL: inventory.url });
    docs.order = (await order.http().get('/docs/json').expect(200).expect('content-type', /json/)).body;
    docs.inventory = (await inventory.http().get('/docs/json').expect(200)).body;
  }, 120_000);
  afterAll(() => corner?.dispose());

  /** The codes a route's documented error response of `status` lists. */
  const codesOf = (operation: OpenApi, status: number): string[] =>
    operation.responses[status].content['application/json'].schema.properties.code.enum;
  const schemaOf = (document: OpenApi, ref: string) => document.components.schemas[ref.split('/').pop()!];

  it('given the order service, then POST /orders shows the body of CreateOrderDto, the Idempotency-Key and every code', () => {
    const place = docs.order.paths['/orders'].post;
    const body = schemaOf(docs.order, place.requestBody.content['application/json'].schema.$ref);

    expect(Object.keys(body.properties).sort()).toEqual(['eventId', 'paymentToken', 'quantity', 'userId']);
    expect(body.required.sort()).toEqual(['eventId', 'quantity']);
    expect(body.properties.quantity).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
    expect(body.properties.eventId.pattern).toBe('^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$');
    expect(place.parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
    );
    expect(Object.keys(place.responses).sort()).toEqual(
      ['202', '400', '401', '403', '404', '409', '413', '415', '422', '429', '500', '503', '504'].sort(),
    );
    expect(codesOf(place, 401)).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(place, 403)).toEqual(['BUYER_MISMATCH']);
    expect(codesOf(place, 409)).toEqual(['SOLD_OUT']);
    expect(codesOf(place, 422).sort()).toEqual(['IDEMPOTENCY_KEY_REUSED', 'PURCHASE_LIMIT_EXCEEDED']);
    expect(codesOf(place, 429)).toEqual(['WAITING_ROOM']);
    expect(codesOf(place, 503).sort()).toEqual(['OVERLOADED', 'UNAVAILABLE', 'WAITING_ROOM_CLOSED']);
    expect(place.parameters).toContainEqual(
      expect.objectContaining({ name: 'Admission-Token', in: 'header', required: false }),
    );
    expect(place.responses[503].headers).toHaveProperty('Retry-After');
    expect(codesOf(place, 504)).toEqual(['OUTCOME_UNKNOWN']);
    expect(codesOf(docs.order.paths['/orders/{orderId}'].get, 404)).toEqual(['ORDER_NOT_FOUND']);
    // The buyer's token, and the admin token for the waiting room's settings: the schemes order shows.
    expect(place.security).toEqual([{ buyer: [] }]);
    expect(Object.keys(docs.order.components.securitySchemes).sort()).toEqual(['admin', 'buyer']);
  });

  it('given the order service, then the waiting room shows its settings behind the admin token and its entries for a buyer', () => {
    const room = docs.order.paths['/events/{eventId}/waiting-room'];
    const entries = docs.order.paths['/events/{eventId}/waiting-room/entries'];

    expect(room.put.security).toEqual([{ admin: [] }]);
    expect(codesOf(room.put, 401)).toEqual(['UNAUTHORIZED']);
    expect(room.get.security).toBeUndefined();
    // The status as JSON, and the page for a browser (negotiated on Accept); the page's files are no API.
    expect(Object.keys(room.get.responses['200'].content).sort()).toEqual(['application/json', 'text/html']);
    expect(Object.keys(docs.order.paths).filter((path) => path.startsWith('/waiting-room'))).toEqual([]);
    expect(entries.post.security).toEqual([{ buyer: [] }]);
    expect(Object.keys(entries.post.responses)).toEqual(expect.arrayContaining(['200', '201', '404', '503']));
    expect(codesOf(entries.post, 503).sort()).toEqual(['UNAVAILABLE', 'WAITING_ROOM_CLOSED']);
  });

  it('given the inventory service, then changing a sale needs the admin bearer token and reserving the service one', () => {
    const { paths, components } = docs.inventory;

    expect(components.securitySchemes).toMatchObject({
      admin: { type: 'http', scheme: 'bearer', description: 'The ADMIN_TOKEN setting' },
      service: { type: 'http', scheme: 'bearer', description: 'The SERVICE_TOKEN setting' },
    });
    expect(paths['/events/{eventId}'].put.security).toEqual([{ admin: [] }]);
    for (const path of [
      '/reservations',
      '/reservations/{orderId}/commit',
      '/reservations/{orderId}/release',
    ]) {
      expect(paths[path].post.security).toEqual([{ service: [] }]);
      expect(codesOf(paths[path].post, 401)).toEqual(['UNAUTHORIZED']);
    }
    expect(paths['/events/{eventId}'].get.security).toBeUndefined();
    expect(paths['/reservations/{orderId}'].get.security).toBeUndefined();
    expect(codesOf(paths['/events/{eventId}'].put, 401)).toEqual(['UNAUTHORIZED']);
    expect(codesOf(paths['/events/{eventId}'].put, 409)).toEqual(['STOCK_BELOW_ALLOCATED']);
    expect(codesOf(paths['/reservations'].post, 409).sort()).toEqual(['RESERVATION_RELEASED', 'SOLD_OUT']);
    expect(codesOf(paths['/reservations/{orderId}/commit'].post, 409).sort()).toEqual([
      'HOLD_EXPIRED',
      'RESERVATION_RELEASED',
    ]);
    const sale = schemaOf(
      docs.inventory,
      paths['/events/{eventId}'].put.requestBody.content['application/json'].schema.$ref,
    );
    expect(sale.required.sort()).toEqual(['currency', 'name', 'totalStock', 'unitPrice']);
  });

  it('given either service, when /docs is asked without a token, then Swagger UI answers HTML with its assets', async () => {
    for (const service of [order, inventory]) {
      const page = await service
        .http()
        .get('/docs')
        .expect(200)
        .expect('content-type', /text\/html/);
      expect(page.text).toContain(`Boxoffice ${service.name} API`);
      await service
        .http()
        .get('/docs/swagger-ui.css')
        .expect(200)
        .expect('content-type', /text\/css/);
    }
  });
});
