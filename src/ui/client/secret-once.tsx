/** A secret the API shows in one answer only: said loudly, selectable, with where it goes. */
export function SecretOnce({ secret, what }: { secret: string; what: string }) {
  return (
    <div class="secret-panel" role="status">
      <p>
        <strong>Copy it now:</strong> this {what} is shown this once and cannot be read again
        (rotate it for a new one).
      </p>
      <label for="secret-once">{what}</label>
      <input id="secret-once" class="secret-once" readOnly value={secret} onFocus={select} />
    </div>
  );
}

const select = (event: Event) => (event.currentTarget as HTMLInputElement).select();
