// The names (never the values) of the cookies the server received with this request: the
// evidence of which session cookie the browser holds for the app and sends back.
import { cookies } from 'next/headers';

export const dynamic = 'force-dynamic';

export default async function Cookies() {
  const names = (await cookies()).getAll().map((c) => c.name).sort();
  return (
    <main>
      <h1>Cookies</h1>
      <p>The server received {names.length} cookie{names.length === 1 ? '' : 's'}:</p>
      <ul data-testid="cookies">{names.map((n) => <li key={n}>{n}</li>)}</ul>
    </main>
  );
}
