import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyReply } from 'fastify';

/**
 * Only this origin's script and stylesheet, no inline code, nothing else fetched, no framing, no form posted
 * anywhere: whatever a value from the server holds, it cannot run.
 */
export const ROOM_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  // data: for the empty favicon only, which spares a 404 for /favicon.ico
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The page's files, read once at boot (copied beside the code by nest-cli.json's assets): the document, its script
 * (a module: the flow), the module it imports (its words) and its stylesheet.
 */
const ASSETS = {
  html: readAsset('room-page.html'),
  js: readAsset('room-page.js'),
  words: readAsset('room-words.js'),
  css: readAsset('room-page.css'),
};

export type RoomPageAsset = keyof typeof ASSETS;

const SCRIPT = 'text/javascript; charset=utf-8';
const TYPES: Record<RoomPageAsset, string> = {
  html: 'text/html; charset=utf-8',
  js: SCRIPT,
  words: SCRIPT,
  css: 'text/css; charset=utf-8',
};

/**
 * One of the page's files, with the headers that keep it safe. The HTML is the same for every sale (the script reads
 * the sale from the address), so nothing of the request is ever written into it.
 */
export function sendRoomPage(reply: FastifyReply, asset: RoomPageAsset): string {
  reply
    .type(TYPES[asset])
    .header('Content-Security-Policy', ROOM_PAGE_CSP)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('Cache-Control', 'no-cache');
  return ASSETS[asset];
}

function readAsset(name: string): string {
  return readFileSync(join(__dirname, 'assets', name), 'utf8');
}
