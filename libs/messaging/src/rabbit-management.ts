/**
 * A thin client for the RabbitMQ management HTTP API, for tests and operators' scripts.
 * Connection and queue statistics there lag by up to the broker's stats interval (5 s by
 * default); definitions (queues, arguments, bindings) and the connection list do not.
 */
export class RabbitManagement {
  private readonly base: string;
  private readonly authorization: string;

  /** `url` like http://guest:guest@127.0.0.1:15672 (credentials in the URL, as for AMQP URLs). */
  constructor(url: string) {
    const parsed = new URL(url);
    const user = decodeURIComponent(parsed.username || 'guest');
    const password = decodeURIComponent(parsed.password || 'guest');
    this.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
    this.base = `${parsed.origin}/api`;
  }

  /** Calls the API; a 404 answers `undefined`, any other failure throws with the broker's reason. */
  async request<T>(
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T | undefined> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: this.authorization, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new Error(
        `RabbitMQ management API unreachable at ${this.base} (enable it: rabbitmq-plugins enable rabbitmq_management): ${String(error)}`,
        { cause: error },
      );
    }
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  queue(vhost: string, name: string): Promise<ManagedQueue | undefined> {
    return this.request<ManagedQueue>('GET', `/queues/${encode(vhost)}/${encode(name)}`);
  }

  exchange(vhost: string, name: string): Promise<ManagedExchange | undefined> {
    return this.request<ManagedExchange>('GET', `/exchanges/${encode(vhost)}/${encode(name)}`);
  }

  async bindingsFrom(vhost: string, exchange: string): Promise<ManagedBinding[]> {
    return (
      (await this.request<ManagedBinding[]>(
        'GET',
        `/exchanges/${encode(vhost)}/${encode(exchange)}/bindings/source`,
      )) ?? []
    );
  }

  /** Connections whose client-provided name (`connection_name`) is `clientName`. */
  async connectionsNamed(vhost: string, clientName: string): Promise<ManagedConnection[]> {
    const all =
      (await this.request<ManagedConnection[]>('GET', `/vhosts/${encode(vhost)}/connections`)) ?? [];
    return all.filter((connection) => connection.client_properties?.connection_name === clientName);
  }

  /** Closes the connection from the broker side, as an operator or a failover would. */
  async closeConnection(name: string): Promise<void> {
    await this.request('DELETE', `/connections/${encode(name)}`);
  }

  async deleteQueue(vhost: string, name: string): Promise<void> {
    await this.request('DELETE', `/queues/${encode(vhost)}/${encode(name)}`);
  }
}

export interface ManagedQueue {
  name: string;
  type: string;
  durable: boolean;
  arguments: Record<string, unknown>;
}

export interface ManagedExchange {
  name: string;
  type: string;
  durable: boolean;
}

export interface ManagedBinding {
  source: string;
  destination: string;
  destination_type: string;
  routing_key: string;
}

export interface ManagedConnection {
  name: string;
  client_properties?: { connection_name?: string };
}

function encode(segment: string): string {
  return encodeURIComponent(segment);
}
