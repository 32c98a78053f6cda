import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { TOKEN_SETTINGS, type TokenKind } from './api-tokens';

/**
 * `GET /docs` (Swagger UI) and `GET /docs/json` (OpenAPI 3), never behind a token. Built on the first request from
 * the routes, the contract DTOs that validate them and their `@AnswersErrors` / `@RequiresToken` declarations.
 */
export function serveApiDocs(app: INestApplication, service: string): void {
  const builder = new DocumentBuilder()
    .setTitle(`Boxoffice ${service} API`)
    .setDescription(
      'The HTTP contract is docs/contract.md. Every error answers { code, message, details? }; clients branch on code.',
    )
    .setVersion('1');
  for (const [kind, setting] of Object.entries(TOKEN_SETTINGS)) {
    const description = `The ${setting} setting`;
    builder.addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description }, kind);
  }
  // A buyer's token (docs/contract.md §2, _Buyers_): verified by the order service, made by an identity provider.
  builder.addBearerAuth(
    {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        "A buyer's token of the BUYER_JWT_ISSUER issuer; its sub is the buyer. Required unless BUYER_JWT_REQUIRED=false; ignored without BUYER_JWT_*",
    },
    'buyer',
  );
  const config = builder.build();
  SwaggerModule.setup('docs', app, () => withUsedSchemesOnly(SwaggerModule.createDocument(app, config)), {
    jsonDocumentUrl: 'docs/json',
    raw: ['json'],
    customSiteTitle: `Boxoffice ${service} API`,
  });
}

/** A service whose routes need no token shows no "Authorize" button. */
function withUsedSchemesOnly(document: OpenAPIObject): OpenAPIObject {
  const used = new Set(
    Object.values(document.paths)
      .flatMap((path) => Object.values(path))
      .flatMap((operation) => (operation as { security?: object[] }).security ?? [])
      .flatMap((requirement) => Object.keys(requirement)),
  );
  const schemes = document.components?.securitySchemes ?? {};
  for (const kind of Object.keys(schemes)) if (!used.has(kind as TokenKind)) delete schemes[kind];
  return document;
}
