/** RFC 9457 problem details: the only error shape q2h answers with. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(
  status: number,
  slug: string,
  detail: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return {
    type: `https://q2h.dev/problems/${slug}`,
    title: titles[status] ?? 'Error',
    status,
    detail,
    ...extensions,
  };
}

/** Thrown only at the HTTP edge, by route code that wants to stop with a problem body. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}
