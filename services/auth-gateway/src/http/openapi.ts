/** The API as OpenAPI 3.1, served at /api/openapi.json (the web client is checked against it). */
const problem = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problem } },
});
const json = (schema: object, description = 'OK') => ({
  description,
  content: { 'application/json': { schema } },
});
const secured = [{ bearer: [] }];

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'q2h API',
    version: '1.0.0',
    description: 'Vulnerability reports in, findings out. Errors are RFC 9457 problem bodies.',
  },
  servers: [{ url: '/api' }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    schemas: {
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          line: { type: 'integer' },
          field: { type: 'string' },
        },
      },
      Session: {
        type: 'object',
        required: ['token', 'mustChangePassword', 'user'],
        properties: {
          token: { type: 'string' },
          mustChangePassword: { type: 'boolean' },
          user: {
            type: 'object',
            properties: { username: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } },
          },
        },
      },
      CoherenceResult: {
        type: 'object',
        required: ['check', 'expected', 'actual', 'level'],
        properties: {
          check: { type: 'string' },
          entity: { type: ['string', 'null'] },
          expected: { type: 'string' },
          actual: { type: 'string' },
          level: { enum: ['ok', 'warning', 'error'] },
        },
      },
      Import: {
        type: 'object',
        required: [
          'id',
          'filename',
          'dialect',
          'status',
          'rowsDone',
          'bytesDone',
          'bytesTotal',
          'findings',
          'coherence',
        ],
        properties: {
          id: { type: 'string' },
          filename: { type: 'string' },
          dialect: { type: 'string' },
          encoding: { type: 'string' },
          status: { enum: ['accepted', 'processing', 'done', 'failed'] },
          rowsDone: { type: 'integer' },
          bytesDone: { type: 'integer' },
          bytesTotal: { type: 'integer' },
          findings: { type: 'integer' },
          hosts: { type: 'integer' },
          createdAt: { type: 'string', format: 'date-time' },
          scannedAt: { type: 'string', format: 'date-time' },
          error: { type: 'object', properties: { line: { type: 'integer' }, reason: { type: 'string' } } },
          declared: {
            type: 'object',
            properties: {
              totalVulns: { type: ['integer', 'null'] },
              activeHosts: { type: ['integer', 'null'] },
            },
          },
          coherence: { type: 'array', items: { $ref: '#/components/schemas/CoherenceResult' } },
          coherenceLevel: { enum: ['ok', 'warning', 'error'] },
        },
      },
      WatchedFolder: {
        type: 'object',
        required: ['id', 'path', 'enabled', 'status', 'lastScanAt', 'lastError', 'recentFiles'],
        properties: {
          id: { type: 'string' },
          path: { type: 'string', description: 'absolute, on the machine that runs the ingest target' },
          enabled: { type: 'boolean' },
          ignoreBefore: {
            type: ['string', 'null'],
            format: 'date-time',
            description: 'files last modified before this are skipped',
          },
          status: {
            enum: ['disabled', 'waiting', 'watching', 'unreadable'],
            description: 'waiting: not listed yet; unreadable: the last listing failed (see lastError)',
          },
          createdAt: { type: 'string', format: 'date-time' },
          createdBy: { type: 'string' },
          lastScanAt: { type: ['string', 'null'], format: 'date-time' },
          lastError: { type: ['string', 'null'] },
          lastErrorAt: { type: ['string', 'null'], format: 'date-time' },
          counts: {
            type: 'object',
            properties: {
              imported: { type: 'integer' },
              duplicate: { type: 'integer' },
              rejected: { type: 'integer' },
            },
          },
          recentFiles: {
            type: 'array',
            description: 'the newest files handled (at most 20), newest first',
            items: {
              type: 'object',
              properties: {
                name: { type: 'string' },
                size: { type: 'integer' },
                modifiedAt: { type: 'string', format: 'date-time' },
                outcome: { enum: ['importing', 'imported', 'duplicate', 'rejected'] },
                reason: { type: ['string', 'null'] },
                importId: {
                  type: ['string', 'null'],
                  description: 'the import it produced, or the earlier import of the same content',
                },
                import: {
                  type: ['object', 'null'],
                  description: 'the import (for a duplicate: the earlier one), as the catalog knows it',
                  properties: {
                    status: { type: 'string' },
                    filename: { type: ['string', 'null'] },
                    findings: { type: ['integer', 'null'] },
                  },
                },
                handledAt: { type: 'string', format: 'date-time' },
              },
            },
          },
        },
      },
      Overview: {
        type: 'object',
        required: ['findings', 'hosts', 'critical', 'bySeverity', 'topVulns', 'topHosts'],
        properties: {
          findings: { type: 'integer' },
          hosts: { type: 'integer' },
          critical: { type: 'integer', description: 'findings of severity 4 and 5 within the filter' },
          bySeverity: { type: 'object', additionalProperties: { type: 'integer' } },
          topVulns: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                qid: { type: 'string' },
                title: { type: 'string' },
                severity: { type: 'integer' },
                hosts: { type: 'integer' },
              },
            },
          },
          topHosts: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                host: {
                  type: 'string',
                  description: 'the asset: its IP, else its FQDN, DNS or NetBIOS name',
                },
                ip: { type: 'string' },
                dns: { type: 'string' },
                findings: { type: 'integer' },
              },
            },
          },
        },
      },
    },
  },
  paths: {
    '/auth/login': {
      post: {
        summary: 'Log in with a local account',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['username', 'password'],
                properties: { username: { type: 'string' }, password: { type: 'string' } },
              },
            },
          },
        },
        responses: {
          200: json({ $ref: '#/components/schemas/Session' }),
          401: problemResponse('wrong username or password'),
          423: problemResponse('locked after repeated failures'),
        },
      },
    },
    '/auth/password': {
      post: {
        summary: 'Change your password',
        security: secured,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['currentPassword', 'newPassword'],
                properties: {
                  currentPassword: { type: 'string' },
                  newPassword: { type: 'string', minLength: 12 },
                },
              },
            },
          },
        },
        responses: {
          200: json({ $ref: '#/components/schemas/Session' }),
          401: problemResponse('current password wrong'),
          422: problemResponse('new password too weak'),
        },
      },
    },
    '/me': {
      get: {
        summary: 'Who am I',
        security: secured,
        responses: { 200: json({ type: 'object' }), 401: problemResponse('not logged in') },
      },
    },
    '/imports': {
      get: {
        summary: 'Import history, newest first',
        security: secured,
        responses: {
          200: json({
            type: 'object',
            properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Import' } } },
          }),
        },
      },
      post: {
        summary: 'Upload a report (admin, analyst); parsed in the background',
        description:
          'The report is the multipart field `file`, or the whole body (application/octet-stream or untyped, as `curl -T` sends it) named by `filename`.',
        security: secured,
        parameters: [
          {
            name: 'filename',
            in: 'query',
            description: 'The name of a report sent as the body (default "report")',
            schema: { type: 'string' },
          },
        ],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['file'],
                properties: { file: { type: 'string', format: 'binary' } },
              },
            },
            'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
          },
        },
        responses: {
          202: json(
            { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' } } },
            'Accepted',
          ),
          200: json(
            { type: 'object' },
            'The same content was imported before: its import, nothing counted twice',
          ),
          400: problemResponse('malformed multipart request'),
          403: problemResponse('role not allowed'),
          413: problemResponse('over Q2H_MAX_UPLOAD_MB'),
          415: problemResponse('neither multipart/form-data nor application/octet-stream'),
          422: problemResponse(
            'empty, binary or unrecognised file; an archive that is not exactly one report, encrypted, nested or a zip bomb; XML declaring entities',
          ),
          507: problemResponse('the server has no disk space left for the upload'),
        },
      },
    },
    '/imports/{id}': {
      get: {
        summary: 'One import with progress, error and coherence checks',
        security: secured,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: json({ $ref: '#/components/schemas/Import' }),
          404: problemResponse('unknown import'),
        },
      },
      delete: {
        summary:
          'Delete a finished import (its findings leave the latest state; earlier observations count again) or cancel a running one (ImportRetracted)',
        security: secured,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          202: json({
            type: 'object',
            properties: {
              id: { type: 'string' },
              status: { const: 'retracted' },
              reason: { enum: ['deleted', 'cancelled'] },
            },
          }),
          200: json({
            type: 'object',
            properties: { id: { type: 'string' }, status: { const: 'retracted' } },
          }),
          403: problemResponse('viewers may not delete'),
          404: problemResponse('unknown import'),
        },
      },
    },
    '/uploads': {
      post: {
        summary: 'Open a resumable upload (large files from a browser): {filename, size} → {id, offset: 0}',
        security: secured,
        responses: { 201: json({ type: 'object' }), 413: problemResponse('over Q2H_MAX_UPLOAD_MB') },
      },
    },
    '/uploads/{id}': {
      get: {
        summary: 'How far a resumable upload is: {offset, size}',
        security: secured,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: json({ type: 'object' }), 404: problemResponse('unknown upload') },
      },
      patch: {
        summary: 'Append a chunk (application/octet-stream) at the byte given by the Upload-Offset header',
        security: secured,
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'Upload-Offset', in: 'header', required: true, schema: { type: 'integer' } },
        ],
        responses: {
          200: json({ type: 'object' }),
          409: problemResponse('the offset is not where the upload ends (the body has the right `offset`)'),
        },
      },
      delete: {
        summary: 'Abandon a resumable upload',
        security: secured,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 204: { description: 'gone' } },
      },
    },
    '/uploads/{id}/complete': {
      post: {
        summary: 'Import a complete resumable upload (as POST /imports answers)',
        security: secured,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          202: json({ type: 'object' }),
          200: json({ type: 'object' }),
          409: problemResponse('not every byte arrived yet'),
          422: problemResponse('not a recognised report'),
        },
      },
    },
    '/exports/findings.csv': {
      get: {
        summary: 'The findings of a filter as CSV (UTF-8 with BOM, formula cells neutralised), streamed',
        security: secured,
        parameters: [
          { name: 'severities', in: 'query', schema: { type: 'string', example: '4,5' } },
          { name: 'report', in: 'query', schema: { type: 'string' } },
        ],
        responses: {
          200: { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } },
          400: problemResponse('invalid filter'),
        },
      },
    },
    '/overview': {
      get: {
        summary: 'KPIs, severity split and top tables over the latest state',
        security: secured,
        parameters: [
          { name: 'severities', in: 'query', schema: { type: 'string', example: '4,5' } },
          {
            name: 'report',
            in: 'query',
            schema: { type: 'string' },
            description: 'only findings observed in this import',
          },
        ],
        responses: {
          200: json({ $ref: '#/components/schemas/Overview' }),
          400: problemResponse('invalid filter'),
        },
      },
    },
    '/watched-folders': {
      get: {
        summary: 'Watched folders (admin) with status, last scan, last error and the files they imported',
        security: secured,
        responses: {
          200: json({
            type: 'object',
            properties: {
              items: { type: 'array', items: { $ref: '#/components/schemas/WatchedFolder' } },
            },
          }),
          403: problemResponse('not an admin'),
        },
      },
      post: {
        summary: 'Watch a folder (admin): its reports are imported once they stop growing',
        security: secured,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['path'],
                properties: {
                  path: {
                    type: 'string',
                    description: 'absolute path of a directory the ingest target can list',
                  },
                  enabled: { type: 'boolean', default: true },
                  ignoreBefore: {
                    type: ['string', 'null'],
                    description: 'a date (midnight UTC) or a date-time with offset',
                  },
                },
              },
            },
          },
        },
        responses: {
          201: json({ $ref: '#/components/schemas/WatchedFolder' }, 'Created'),
          400: problemResponse('not an absolute path of a readable directory, or an invalid field'),
          403: problemResponse('not an admin'),
          409: problemResponse('this folder is watched already'),
        },
      },
    },
    '/watched-folders/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: 'One watched folder (admin)',
        security: secured,
        responses: {
          200: json({ $ref: '#/components/schemas/WatchedFolder' }),
          404: problemResponse('unknown folder'),
        },
      },
      patch: {
        summary: 'Enable, disable or change the ignore-before date of a watched folder (admin)',
        security: secured,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: { enabled: { type: 'boolean' }, ignoreBefore: { type: ['string', 'null'] } },
              },
            },
          },
        },
        responses: {
          200: json({ $ref: '#/components/schemas/WatchedFolder' }),
          400: problemResponse('invalid field'),
          404: problemResponse('unknown folder'),
        },
      },
      delete: {
        summary: 'Stop watching a folder (admin); the imports it produced stay',
        security: secured,
        responses: { 204: { description: 'Removed' }, 404: problemResponse('unknown folder') },
      },
    },
  },
} as const;
