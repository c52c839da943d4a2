import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';

/** The OpenAPI document, built from the controllers and their zod DTOs. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  // 3.1: the zod-generated schemas are JSON Schema 2020-12 (null types, tuples), which 3.1 speaks.
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('sck-ingest REST API v0')
    .setDescription(
      'Devices, sensors and readings of Smart Citizen Kits, in the shapes of the Smart Citizen v0 API. ' +
        'Errors are {"id","message","url":null,"errors"}. Lists are paginated with page/per_page and ' +
        'answer Link, Total and Per-Page headers.',
    )
    .setVersion('0')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'A personal API token (npm run user:create)',
    })
    .build();
  return cleanupOpenApiDoc(SwaggerModule.createDocument(app, config));
}

/** Browsable UI at /docs, the JSON at /docs-json. */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}
