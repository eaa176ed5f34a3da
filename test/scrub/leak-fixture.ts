/**
 * A support desk whose copies of customers' data hide everywhere a leak scan must look: free
 * text, json strings, arrays, hstore, xml, tsvector. Names are real-looking and rare (faker's
 * lists hold none of them), so a found name is a leak, not chance.
 */
export const DESK_SQL = `
create extension if not exists hstore;
create table customers (id int primary key, full_name text not null, email text not null unique, passport text);
insert into customers
select g,
       (array['Margaret','Oliver','Priya','Tomasz','Ingrid','Kwame','Lucia','Henrik','Aiko','Rafael'])[1 + g % 10]
         || ' ' || (array['Holloway-Prentiss','Castellanos-Veit','Okonkwo-Baptiste','Lindqvist-Ruhl','Takahashi-Morrow',
                           'Kowalczyk-Ames','Delacroix-Hume','Nakamura-Osei','Fitzwilliam-Rao','Brennan-Szabo','Vasquez-Thorne'])[1 + g % 11],
       lower((array['Margaret','Oliver','Priya','Tomasz','Ingrid','Kwame','Lucia','Henrik','Aiko','Rafael'])[1 + g % 10]) || '.' || g || '@mailbox-example.com'
  from generate_series(1, 300) g;
update customers set passport = 'X' || lpad((id * 7919)::text, 8, '0');
create table tickets (
  id int primary key, customer_id int references customers, body text, summary text, meta jsonb, extra jsonb,
  tags text[], attrs hstore, doc xml, search tsvector, payload text, clean text
);
insert into tickets
select g, g, 'nothing to see here', 'all fine', '{"agent": {"email": "agent@corp-example.com"}, "note": "ok"}',
       '{"who": "nobody"}', array['vip', 'new'], 'tier=>gold', '<c>ok</c>', to_tsvector('simple', 'nothing personal'),
       'paid in full', 'redacted@example.invalid [phone] [card] [iban]'
  from generate_series(1, 200) g;
analyze;
`;

const name = (id: number) => `(select full_name from customers where id = ${id})`;
const email = (id: number) => `(select email from customers where id = ${id})`;

/** One copy of a customer's data per column, each where a whole-value scan cannot see it. */
export const PLANT_SQL = `
update tickets set body = 'Customer ' || ${name(1)} || ' asked for a refund.' where id = 1;
update tickets set summary = 'Call back ' || ${name(2)} || ', mail redacted' where id = 2;
update tickets set meta = jsonb_build_object('agent', jsonb_build_object('email', 'agent@corp-example.com'), 'note', 'write to ' || ${email(3)}) where id = 3;
update tickets set extra = jsonb_build_object('who', ${name(4)}, 'mail', 'someone@elsewhere-example.org') where id = 4;
update tickets set tags = array['vip', ${email(5)}] where id = 5;
update tickets set attrs = hstore('contact', '+44 20 7946 0958') where id = 6;
update tickets set doc = xmlelement(name c, xmlelement(name n, ${name(7)})) where id = 7;
update tickets set search = to_tsvector('simple', 'contact ' || ${email(8)}) where id = 8;
update tickets set payload = 'pay to NL91 ABNA 0417 1643 00 please, passport ' || (select passport from customers where id = 9) where id = 9;
`;

export const DESK_SCRUBBER = (secret: string) => ({
  secret,
  tables: {
    customers: {
      id: "keep",
      full_name: { fake: "person.fullName" },
      email: { fake: "internet.email", unique: true },
      passport: null,
    },
    tickets: {
      id: "keep",
      customer_id: "keep",
      body: "keep",
      summary: { text: { emails: true } },
      meta: { json: { "agent.email": { fake: "internet.email" } } },
      extra: { json: { who: "keep" }, rest: "keep" },
      tags: "keep",
      attrs: "keep",
      doc: "keep",
      search: "keep",
      payload: "keep",
      clean: "keep",
    },
  },
});
