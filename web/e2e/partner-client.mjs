// A minimal signed XCover partner client for the end-to-end test: the same
// hmac-sha512 signature over "(request-target) date" that partners send
// (docs/api.md), with Node's crypto and fetch.
import crypto from 'node:crypto';

export class PartnerClient {
  constructor(baseUrl, partner, apiKey, apiSecret) {
    Object.assign(this, { baseUrl, partner, apiKey, apiSecret });
  }

  headers(method, path) {
    const date = new Date().toUTCString();  // IMF-fixdate: "Tue, 01 Oct 2030 10:00:00 GMT"
    const signingString = `(request-target): ${method.toLowerCase()} ${path}\ndate: ${date}`;
    const signature = encodeURIComponent(
      crypto.createHmac('sha512', this.apiSecret).update(signingString).digest('base64'));
    return {
      Date: date,
      Authorization: `Signature keyId="${this.apiKey}",algorithm="hmac-sha512",` +
        `headers="(request-target) date",signature="${signature}"`,
    };
  }

  async call(method, suffix, body) {
    const path = `/x/partners/${this.partner}/${suffix}`;
    const headers = this.headers(method, path);
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  // One quote package holding one event ticket protection quote for a ticket
  // of `ticketPrice` GBP. Returns {packageId, quoteId, totalPrice}.
  async quote(ticketPrice) {
    const res = await this.call('POST', 'quotes/', {
      request: [{
        policy_type: 'event_ticket_protection',
        policy_type_version: 1,
        policy_start_date: '2030-10-01T00:29:29Z',
        event_datetime: '2030-10-10T13:44:15Z',
        event_name: 'X',
        event_location: 'Y',
        number_of_tickets: 2,
        tickets: [{ price: ticketPrice }],
        resale_ticket: false,
        event_country: 'GB',
      }],
      currency: 'GBP',
      customer_country: 'GB',
    });
    if (res.status !== 201) throw new Error(`quote: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    const q = res.body.quotes['0'];
    return { packageId: res.body.id, quoteId: q.id, totalPrice: res.body.total_price };
  }

  async book(packageId, quoteId) {
    const res = await this.call('POST', `bookings/${packageId}/`, {
      quotes: [{ id: quoteId }],
      policyholder: { first_name: 'A', last_name: 'B', email: 'a@b.co' },
    });
    if (res.status !== 200) throw new Error(`book: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  // One gadget_protection quote (the default catalog's renewable product),
  // booked. Returns the booking id.
  async bookGadget() {
    const res = await this.call('POST', 'quotes/', {
      request: [{
        policy_type: 'gadget_protection',
        policy_type_version: 1,
        device_value: 599,
        device_type: 'phone',
        cover_start_date: '2030-01-01T00:00:00Z',
      }],
      currency: 'GBP',
      customer_country: 'GB',
    });
    if (res.status !== 201) throw new Error(`gadget quote: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    await this.book(res.body.id, res.body.quotes['0'].id);
    return res.body.id;
  }

  // The renewal offer of a booking: its renewal_id.
  async quoteForRenewal(bookingId) {
    const res = await this.call('PATCH', `renewals/${bookingId}/quote_for_renewal/`);
    if (res.status !== 200) throw new Error(`quote_for_renewal: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.renewal_id;
  }

  async confirmRenewal(bookingId, renewalId) {
    const res = await this.call('POST', `renewals/${bookingId}/confirm/${renewalId}/`, {});
    if (res.status !== 201) throw new Error(`confirm renewal: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }

  // The renewal opt-out: the customer declines to renew.
  async renewalOptOut(bookingId) {
    const res = await this.call('POST', `renewals/${bookingId}/opt_out/`);
    if (res.status !== 204) throw new Error(`renewal opt_out: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }

  async optOut(packageId) {
    const res = await this.call('POST', `bookings/${packageId}/opt_out`);
    if (res.status !== 204) throw new Error(`opt_out: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
}
