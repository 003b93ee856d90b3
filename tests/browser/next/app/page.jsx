// A public page rendered per request: the session as the server component sees it.
import { SessionLine } from './session.jsx';

export const dynamic = 'force-dynamic';

export default function Home() {
  return (
    <main>
      <h1>Home</h1>
      <SessionLine />
    </main>
  );
}
