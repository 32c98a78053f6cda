import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '@boxoffice/testing/free-port';
import { asUser, ownBy, runCommand } from './run-command';

const BIN = process.env.POSTGRES_BIN || '/usr/lib/postgresql/15/bin';

/** A PostgreSQL cluster of its own on another port, run as the postgres user: a scenario may stop it at will. */
export class PrivatePostgres {
  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(name: string): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), `boxoffice-${name}-postgres-`));
    await ownBy('postgres', dir);
    await runCommand(
      ...asUser('postgres', join(BIN, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres']),
    );
    const server = new PrivatePostgres(dir, await freePort());
    await server.resume();
    await server.query('CREATE DATABASE boxoffice');
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/boxoffice`;
  }

  async resume(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`;
    const args = [
      '-D',
      join(this.dir, 'data'),
      '-o',
      options,
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      'start',
    ];
    await runCommand(...asUser('postgres', join(BIN, 'pg_ctl'), args));
  }

  /** Stops it at once (fast shutdown: sessions are cut, as when a database server dies). */
  async stop(): Promise<void> {
    await runCommand(
      ...asUser('postgres', join(BIN, 'pg_ctl'), ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']),
    );
  }

  /**
   * Read-only, as a replica promoted by mistake or a primary demoted by a failover looks: every new transaction,
   * in open sessions too, refuses to write (SQLSTATE 25006).
   */
  async setReadOnly(readOnly: boolean): Promise<void> {
    await this.query(`ALTER SYSTEM SET default_transaction_read_only = ${readOnly ? 'on' : 'off'}`);
    await this.query('SELECT pg_reload_conf()');
  }

  async dispose(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** One statement as the superuser, on the server's `postgres` database or, with `database`, another: its rows. */
  async query<Row = unknown>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<Row[]> {
    const client = new Client({ connectionString: `postgres://postgres@127.0.0.1:${this.port}/${database}` });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as Row[];
    } finally {
      await client.end();
    }
  }
}
