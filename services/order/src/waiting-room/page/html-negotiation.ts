/**
 * Whether an `Accept` header prefers an HTML page to JSON (RFC 9110 §12.5.1): each type takes the quality of the most
 * specific range that matches it, and HTML wins only when its quality is higher. A browser's navigation (`text/html,
 * …,*\/*;q=0.8`) gets the page; no header, `*\/*` and `application/json` get JSON, the API's default.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = accept.split(',').map(parseRange);
  return qualityOf('text/html', ranges) > qualityOf('application/json', ranges);
}

interface MediaRange {
  type: string;
  subtype: string;
  quality: number;
}

function parseRange(part: string): MediaRange {
  const [media, ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
  const [type = '', subtype = ''] = media.split('/');
  const q = parameters.find((parameter) => parameter.startsWith('q='));
  const quality = q === undefined ? 1 : Number(q.slice(2));
  return { type, subtype, quality: Number.isFinite(quality) ? Math.min(1, Math.max(0, quality)) : 0 };
}

function qualityOf(mediaType: string, ranges: MediaRange[]): number {
  const [type, subtype] = mediaType.split('/');
  const specificity = (range: MediaRange) =>
    range.type === type && range.subtype === subtype
      ? 3
      : range.type === type && range.subtype === '*'
        ? 2
        : range.type === '*' && range.subtype === '*'
          ? 1
          : 0;
  let best: MediaRange | undefined;
  for (const range of ranges)
    if (specificity(range) > 0 && (!best || specificity(range) > specificity(best))) best = range;
  return best?.quality ?? 0;
}
