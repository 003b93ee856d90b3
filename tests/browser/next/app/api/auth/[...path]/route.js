// The SDK's proxy handler: the browser talks to /api/auth/*, the server forwards to the Auth URL.
import { auth } from '../../../../lib/auth.js';

export const dynamic = 'force-dynamic';

const handle = (method) => (request, context) => auth().handler()[method](request, context);
export const GET = handle('GET');
export const POST = handle('POST');
export const PUT = handle('PUT');
export const DELETE = handle('DELETE');
export const PATCH = handle('PATCH');
