// SessionLine: what the server sees, rendered on the server (the test reads data-testid=session).
import { auth } from '../lib/auth.js';

export async function SessionLine() {
  const { data, error } = await auth().getSession();
  if (error) return <p data-testid="session">Session error: {error.message ?? String(error)}</p>;
  if (!data?.user) return <p data-testid="session">Server sees no session</p>;
  return (
    <p data-testid="session">
      Server sees a session for <b>{data.user.email}</b> (name: <b>{data.user.name}</b>)
    </p>
  );
}
