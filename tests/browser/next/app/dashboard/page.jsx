// A page behind the middleware: only reached with a session.
import { SessionLine } from '../session.jsx';

export const dynamic = 'force-dynamic';

export default function Dashboard() {
  return (
    <main>
      <h1>Dashboard</h1>
      <SessionLine />
    </main>
  );
}
