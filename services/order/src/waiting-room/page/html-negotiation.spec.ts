import { prefersHtml } from './html-negotiation';

describe('prefersHtml (GET /events/{eventId}/waiting-room: the page or JSON)', () => {
  it.each([
    [
      'Chromium navigating',
      'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8',
    ],
    ['Firefox navigating', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
    ['text/html alone', 'text/html'],
    ['text/* over JSON', 'text/*, application/json;q=0.5'],
    ['upper case and spaces', ' TEXT/HTML ; q=1 , */*;q=0.1'],
  ])('given %s, when negotiated, then the page', (_, accept) => {
    expect(prefersHtml(accept)).toBe(true);
  });

  it.each([
    ['no Accept', undefined],
    ['an empty Accept', ''],
    ['*/* (curl, fetch)', '*/*'],
    ['application/json', 'application/json'],
    ['both, JSON first, equal quality', 'application/json, text/html'],
    ['HTML ranked lower', 'text/html;q=0.5, application/json'],
    ['HTML refused', 'text/html;q=0, */*'],
    ['a malformed quality', 'text/html;q=high'],
  ])('given %s, when negotiated, then JSON', (_, accept) => {
    expect(prefersHtml(accept)).toBe(false);
  });
});
